"""The counts agent: signal facts -> windowed counts (per topic, per channel) and the spike detector, each
exactly once whatever happens to workers.

Counting facts are keyed by their counting key (`count:topic:<code>`, `count:channel:<channel>`), so the
keys spread over partitions and workers. The Faust tumbling-window tables (event time, changelogged) hold
one entry per (value, signal id) and window; a window's count is the number of its entries. A re-delivered
fact (a crashed enrich task's batch sent again, or this agent's uncommitted offsets read again by the
worker that takes over) finds its entry already there and is not counted twice; and because every
changelog record says only "this id is in this window", no write, however late or stale, can take an id
out of a window (whole-window values would: the last writer wins). Windows expire by event time, two days
before the newest fact seen, never by the wall clock: every `table_cleanup_seconds` the worker sends a
tombstone for each entry of an expired window on the partitions it owns, then drops the entries from memory,
and an expired window is never written again. So a restore (and, on a broker that compacts the changelog,
the changelog itself) holds the retained two days, whatever the deployment's age.

Detector facts are keyed by municipality (`detect:<municipality>`): the detector needs a municipality's
whole stream. They are merged across the raw partitions in event-time order first (merge.PartitionMerge),
so the detector sees the same stream however fast each worker goes. Its state is saved, compressed, in a
changelogged table every `snapshot_seconds` (a snapshot costs about 0.3 s of CPU), and a detector facts
record is acknowledged only once a saved state covers it. So the committed offset never passes the saved
state: a worker that takes over restores the state and is re-delivered exactly the records after it;
records the state already holds are recognised by the detector (same id in an open window, or a window
already closed) and change nothing. Alert events are keyed by alert id; one raised again after a failover
is the same event and the sink upserts it.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import contextvars
import json
import logging
import time
import zlib
from datetime import timedelta
from typing import Any, Callable, Sequence

import faust

from pipeline.alerts.config import DetectorConfig
from pipeline.alerts.detector import SpikeDetector
from pipeline.runners.kafka.batch_send import BatchSender
from pipeline.runners.kafka.codec import COUNT_PREFIX, DETECT_PREFIX, decode_detect, encode_key, fact_time, to_json_bytes
from pipeline.runners.kafka.inline import step
from pipeline.runners.kafka.merge import PartitionMerge
from pipeline.runners.kafka.progress import WorkerProgress
from pipeline.runners.kafka.topics import CHANNEL_COUNTS_TABLE, DETECTOR_STATE_TABLE, TOPIC_COUNTS_TABLE
from pipeline.runners.kafka.transport import RawSchema

log = logging.getLogger(__name__)

COUNT_RETENTION = timedelta(days=2)
COUNT_TABLES = {"topic": TOPIC_COUNTS_TABLE, "channel": CHANNEL_COUNTS_TABLE}
# Counting records whose entries may be on their way to the broker at once (the agent waits beyond this).
MAX_WRITES_IN_FLIGHT = 64
# The partition of count entries this worker no longer owns (expired ones leave its memory without a tombstone).
NOT_OWNED = -1
# Decoded counting facts: (signal id, created_at) pairs.
Pair = tuple[str, float]


class FactClock:
    """The event time of the newest counting fact seen: what the count windows expire against."""

    def __init__(self) -> None:
        """Start at the epoch."""
        self.newest = 0.0

    def saw(self, ts: float) -> None:
        """Move `newest` on to `ts` when it is later."""
        if ts > self.newest:
            self.newest = ts


class EventTimeWindow(faust.TumblingWindow):
    """Tumbling windows that go stale `expires` before the newest fact seen. Faust's own cleanup asks `stale()`
    with the wall clock, which would drop every window of replayed history at each cleanup; here the counts
    agent expires windows itself (with tombstones) and Faust's cleanup finds nothing to do."""

    def __init__(self, size: float, expires: float, clock: FactClock) -> None:
        """Windows of `size` seconds, kept `expires` seconds behind `clock.newest`."""
        super().__init__(size, expires)
        self.clock = clock

    def stale(self, timestamp: float, latest_timestamp: float) -> bool:
        """True when a window ending at `timestamp` is older than the retention (the wall clock is ignored)."""
        return super().stale(timestamp, self.clock.newest)


def ids_per_window(value: bytes | None, window_seconds: float) -> tuple[dict[float, set[str]], int]:
    """The ids of a counting facts record ([id, event time] pairs; the time in seconds since the epoch or as
    ISO 8601 text) grouped by the start of their event-time window, and how many pairs were unusable (no id or
    no usable time). Raises ValueError when the record is unreadable."""
    pairs = json.loads(value) if value else None
    if not isinstance(pairs, list):
        raise ValueError("counting facts record is not a JSON array")
    windows: dict[float, set[str]] = {}
    skipped = 0
    for pair in pairs:
        ts = fact_time(pair[1]) if isinstance(pair, list) and len(pair) == 2 else None
        if ts is None or not isinstance(pair[0], str):
            skipped += 1
            continue
        windows.setdefault(ts - ts % window_seconds, set()).add(pair[0])
    return windows, skipped


def new_entries(entries: Any, window: Any, value: str, windows: dict[float, set[str]]) -> list[Any]:
    """The entries ((`value`, id), window range) of these ids that `entries` (a count table's data) lacks, in
    windows not yet expired."""
    added = []
    for start, ids in sorted(windows.items()):
        span = window.current(start)
        if window.stale(span[1], 0.0):
            continue     # expired, perhaps tombstoned already: never written again
        for signal_id in sorted(ids):     # a set: each id once per window
            key = ((value, signal_id), span)
            if key not in entries:
                added.append(key)
    return added


def expired_entries(keys: Any, window: Any, partition_of: Callable[[Any], int]) -> dict[int, list[Any]]:
    """The entries among `keys` whose window is stale (by event time), grouped by `partition_of(entry)` (their
    changelog partition, or NOT_OWNED)."""
    expired: dict[int, list[Any]] = {}
    stale: dict[float, bool] = {}      # per window end: many entries share one
    for entry in keys:
        end = entry[1][1]
        verdict = stale.get(end)
        if verdict is None:
            verdict = stale[end] = window.stale(end, 0.0)
        if verdict:
            expired.setdefault(partition_of(entry), []).append(entry)
    return expired


def tombstones(keys: list[Any]) -> list[tuple[bytes, None]]:
    """Changelog records that take count entries out: the entries' keys with no value."""
    return [(key, None) for key, _ in entry_records(keys)]


def entry_records(keys: list[Any]) -> list[tuple[bytes, bytes]]:
    """Changelog records of count entries as Faust writes them for a windowed table with JSON keys and values
    (key [[value, id], [start, end]], value 1, the text json.dumps gives), so a worker taking over restores
    them as Faust's own. The parts shared by many entries (value, window) are encoded once."""
    values: dict[str, str] = {}
    spans: dict[Any, str] = {}
    records = []
    for (value, signal_id), span in keys:
        head = values.get(value)
        if head is None:
            head = values[value] = "[[" + json.dumps(value) + ", "
        tail = spans.get(span)
        if tail is None:
            tail = spans[span] = "], " + json.dumps(list(span)) + "]"
        records.append(((head + json.dumps(signal_id) + tail).encode("utf-8"), b"1"))
    return records


def pack_state(detector: SpikeDetector) -> str:
    """The detector's snapshot as compressed JSON in base64 text (about a seventh of the plain size); text, so
    the changelog value is plain JSON that every reader of the table decodes alike."""
    packed = zlib.compress(json.dumps(detector.snapshot(), separators=(",", ":")).encode("utf-8"), 6)
    return base64.b64encode(packed).decode("ascii")


def unpack_state(blob: str | bytes, config: DetectorConfig) -> SpikeDetector:
    """Rebuild a detector from pack_state() output."""
    return SpikeDetector.restore(json.loads(zlib.decompress(base64.b64decode(blob))), config)


class DetectorKeeper:
    """One SpikeDetector per municipality key, restored from and saved to the state table."""

    def __init__(self, config: DetectorConfig, state: Any, snapshot_seconds: float) -> None:
        """Keep detectors for `config`, saving to the table `state` every `snapshot_seconds`."""
        self.config = config
        self.state = state
        self.snapshot_seconds = snapshot_seconds
        self.detectors: dict[str, SpikeDetector] = {}
        self.saved_at: dict[str, float] = {}

    def get(self, key: str) -> SpikeDetector:
        """The detector for `key`: in memory, else restored from the table, else a new one."""
        detector = self.detectors.get(key)
        if detector is None:
            blob = self.state.get(key)
            detector = None
            if blob:
                try:
                    detector = unpack_state(blob, self.config)
                    log.info("spike detector for %r restored from its saved state", key)
                except (ValueError, zlib.error, binascii.Error, KeyError, TypeError) as err:
                    log.error("saved spike detector state for %r is unusable (%s); starting afresh", key, err)
            detector = detector or SpikeDetector(self.config)
            self.detectors[key] = detector
            self.saved_at[key] = time.monotonic()
        return detector

    def maybe_save(self, key: str, force: bool = False) -> bool:
        """Save the state when forced or when `snapshot_seconds` passed; must run inside the stream."""
        if key not in self.detectors:
            return False
        now = time.monotonic()
        if not force and now - self.saved_at.get(key, now) < self.snapshot_seconds:
            return False
        self.state[key] = pack_state(self.detectors[key])
        self.saved_at[key] = now
        return True

    def forget(self) -> None:
        """Drop in-memory detectors (after a rebalance another worker may have moved them on)."""
        self.detectors.clear()
        self.saved_at.clear()


def fact_key_of(event: Any) -> str:
    """The key of a facts record as text."""
    key = event.message.key
    return key.decode("utf-8", errors="replace") if isinstance(key, bytes) else str(key or "")


def register_counts_agent(app: Any, settings: Any, config: DetectorConfig, progress: WorkerProgress) -> Any:
    """Define the tables and the counts agent on `app` (a faust.App); return the agent."""
    # counting and detector facts: one agent, so the tables' partitions follow both topics' assignment
    facts_topics = app.topic(settings.facts_topic, settings.detect_topic, schema=RawSchema(),
                             partitions=settings.partitions)
    alerts_topic = app.topic(settings.topic_alerts, key_serializer="raw", value_serializer="raw",
                             partitions=settings.partitions)
    clock = FactClock()
    window = EventTimeWindow(timedelta(minutes=config.window_minutes).total_seconds(),
                             COUNT_RETENTION.total_seconds(), clock)
    json_schema = faust.Schema(key_serializer="json", value_serializer="json")
    tables = {
        dimension: app.Table(name, partitions=settings.partitions, schema=json_schema,
                             help=f"one entry per signal per {dimension} per detector window (event time)",
                             ).using_window(window).table
        for dimension, name in COUNT_TABLES.items()
    }
    changelogs = {dimension: settings.changelog_topic(name) for dimension, name in COUNT_TABLES.items()}
    state = app.Table(DETECTOR_STATE_TABLE, partitions=settings.partitions,
                      schema=json_schema,
                      help="compressed spike detector snapshots per municipality")
    keeper = DetectorKeeper(config, state, settings.snapshot_seconds)
    merges: dict[str, PartitionMerge] = {}
    # per detector key: the records not yet covered by a saved state, with the newest event time of each
    unsaved: dict[str, list[tuple[Any, float]]] = {}
    observed_until: dict[str, float] = {}

    @app.on_partitions_revoked.connect
    async def _forget_detectors(sender: Any, revoked: Any = None, **kwargs: Any) -> None:
        """After a rebalance the saved state, not memory, is the truth (unsaved records are re-delivered)."""
        keeper.forget()
        merges.clear()
        unsaved.clear()
        observed_until.clear()

    entry_sender = BatchSender(lambda: app.producer._ensure_producer())

    async def write_entries(changelog: str, records: Sequence[tuple[bytes, bytes | None]], partition: int) -> None:
        """Send count entries to their changelog partition, trying again until the broker has them all."""
        delay = 0.5
        while True:
            try:
                await entry_sender.send(changelog, records, partition=partition)
                return
            except Exception as err:  # noqa: BLE001 - never count in memory what the changelog lacks
                log.error("counts agent: writing %d count entries to %s[%d] failed (%s: %s); retrying in %.1f s",
                          len(records), changelog, partition, type(err).__name__, err, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    inflight: set[asyncio.Task[None]] = set()
    # the changelog partition of each counted value (the facts record's partition, as for its entries)
    placed: dict[tuple[str, str], int] = {}

    def partition_finder(dimension: str, table: Any) -> Callable[[Any], int]:
        """The changelog partition of an entry when this worker owns it actively (else NOT_OWNED): where its
        value was counted here, else where a restore read it from."""
        restored = getattr(table.data, "_key_partition", {})
        owned = {tp.partition for tp in app.consumer.assignment() if tp.topic == settings.facts_topic}

        def partition_of(entry: Any) -> int:
            partition = placed.get((dimension, entry[0][0]))
            if partition is None:
                partition = restored.get(entry)
            return partition if partition in owned else NOT_OWNED
        return partition_of

    @app.timer(settings.table_cleanup_seconds)
    async def _expire_counts() -> None:
        """Take expired windows' entries out of the count tables: tombstones in the changelog first (so a
        restore, and a compacted changelog, holds only the retained windows), then out of memory."""
        for dimension, table in tables.items():
            try:
                expired = expired_entries(list(table.data.keys()), window, partition_finder(dimension, table))
                records = {partition: tombstones(keys) for partition, keys in expired.items() if partition != NOT_OWNED}
            except Exception:  # noqa: BLE001 - a failed cleanup must not stop the worker; the next one retries
                log.exception("counts agent: finding expired %s count entries failed", dimension)
                continue
            for partition, keys in expired.items():
                if partition != NOT_OWNED:      # another worker's now: its owner sends the tombstones
                    await write_entries(changelogs[dimension], records[partition], partition)
                restored = getattr(table.data, "_key_partition", {})
                for entry in keys:
                    table.data.pop(entry, None)
                    restored.pop(entry, None)
                progress.add(**{f"expired_{dimension}": len(keys)})

    def on_written(event: Any, table: Any, dimension: str, added: list[Any], partition: int
                   ) -> Callable[[asyncio.Task[None]], None]:
        """Once the broker has a record's entries: put them in memory (where they count as done), acknowledge
        the record. A write that did not finish (shutdown) leaves the record to be delivered again."""
        def done(task: asyncio.Task[None]) -> None:
            inflight.discard(task)
            if task.cancelled() or task.exception() is not None:
                return
            data = table.data
            for entry in added:
                data[entry] = 1
            progress.add(**{f"counted_{dimension}": len(added),
                            **({"counted": len(added)} if dimension == "topic" else {})})
            step(manual_ack(event), contextvars.copy_context())   # Stream.ack never waits
        return done

    async def count(event: Any, key: str) -> bool:
        """Start adding a counting facts record's ids to its windows, each id once: their changelog records go
        as one record batch (to the record's partition, as Faust would); the record is acknowledged once the
        broker has them (so its offset is never committed ahead of them). Returns False when the record is
        not a counting record this agent knows (to be acknowledged by the caller)."""
        dimension, _, value = key[len(COUNT_PREFIX):].partition(":")
        table = tables.get(dimension)
        if table is None:
            log.error("counts agent: unknown counting dimension in key %r; skipped", key)
            return False
        windows, skipped = ids_per_window(event.message.value, window.size)
        if skipped:
            log.error("counts agent: %d facts without an id or a usable created_at; not counted", skipped)
        if windows:
            clock.saw(max(windows) + window.size)
        partition = event.message.partition
        placed[(dimension, value)] = partition
        added = new_entries(table.data, window, value, windows)
        task = asyncio.ensure_future(write_entries(changelogs[dimension], entry_records(added), partition))
        inflight.add(task)
        task.add_done_callback(on_written(event, table, dimension, added, partition))
        while len(inflight) > MAX_WRITES_IN_FLIGHT:
            await asyncio.wait(set(inflight), return_when=asyncio.FIRST_COMPLETED)
        return True

    async def detect(event: Any, key: str) -> list[Any]:
        """Merge a detector facts record, feed the detector what the watermark releases, publish its alert
        events; return the records a saved state now covers (to acknowledge)."""
        partition, facts = decode_detect(event.message.value)
        merge = merges.get(key)
        if merge is None:
            merge = merges[key] = PartitionMerge(settings.partitions, settings.merge_idle_seconds)
        newest = merge.add(partition, facts)
        unsaved.setdefault(key, []).append((event, newest))
        released, mark = merge.release()
        observed_until[key] = max(mark, observed_until.get(key, float("-inf")))
        try:
            alert_events = keeper.get(key).observe(released) if released else []
        except Exception:  # noqa: BLE001 - the detector must never stop counting
            log.exception("spike detector failed on %d facts", len(released))
            alert_events = []
        for alert_event in alert_events:
            payload = alert_event.to_dict()
            await alerts_topic.send(key=encode_key(payload["alert"]["id"]), value=to_json_bytes(payload))
            log.info("alert %s: %s %s", payload["kind"], payload["alert"]["topic"], payload["alert"]["scope"])
        progress.add(detected=len(released), alerts=len(alert_events))
        if not keeper.maybe_save(key):
            return []
        covered = [e for e, ts in unsaved[key] if ts <= observed_until[key]]
        unsaved[key] = [(e, ts) for e, ts in unsaved[key] if ts > observed_until[key]]
        return covered

    manual_ack: Callable[[Any], Any] = lambda event: None  # noqa: E731 - set when the stream starts

    async def consume(stream: Any) -> None:
        """Count each facts record once per id and window; acknowledge detector records once saved."""
        nonlocal manual_ack
        manual = stream.noack()
        manual_ack = manual.ack
        async for event in manual.events():
            if event.message.tp not in app.consumer.assignment():
                # Taken from this worker by a rebalance while buffered: its new owner gets it again. Writing
                # now could overwrite the new owner's newer detector state with a stale one.
                continue
            key = fact_key_of(event)
            try:
                if key.startswith(COUNT_PREFIX):
                    if await count(event, key):
                        continue     # acknowledged once its entries are written
                elif key.startswith(DETECT_PREFIX):
                    for done in await detect(event, key):
                        await manual.ack(done)
                    continue
                else:
                    log.error("counts agent: facts record with unknown key %r at partition %s offset %s; skipped",
                              key, event.message.partition, event.message.offset)
            except ValueError as err:
                log.error("counts agent: unreadable facts record at partition %s offset %s (%s); skipped",
                          event.message.partition, event.message.offset, err)
            except Exception:  # noqa: BLE001 - the detector must never stop counting
                log.exception("counts agent: failed on the record at partition %s offset %s",
                              event.message.partition, event.message.offset)
            await manual.ack(event)

    return app.agent(facts_topics, name="counts")(consume)

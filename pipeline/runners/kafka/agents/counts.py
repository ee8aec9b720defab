"""The counts agent: signal facts -> windowed count tables (per topic, per channel) and the spike detector.

Facts arrive a batch per record, keyed by municipality, so one partition (one worker) sees a
municipality's whole stream, as the detector needs. The count tables are Faust tumbling-window
tables in event time (`created_at`), with changelogs. The detector (the core's SpikeDetector)
observes the facts; its alert events go to signals.alerts, and its state is saved, compressed, in a
changelogged table so a worker that takes over the partition resumes it.
"""
from __future__ import annotations

import json
import logging
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import faust

from pipeline.alerts.config import DetectorConfig
from pipeline.alerts.detector import SpikeDetector
from pipeline.runners.kafka.codec import decode_facts, encode_key, event_time, to_json_bytes
from pipeline.runners.kafka.progress import WorkerProgress
from pipeline.runners.kafka.topics import CHANNEL_COUNTS_TABLE, DETECTOR_STATE_TABLE, TOPIC_COUNTS_TABLE

log = logging.getLogger(__name__)

COUNT_RETENTION = timedelta(days=2)


class FactClock:
    """The event time the windowed tables use for the next update (instead of the Kafka timestamp)."""

    def __init__(self) -> None:
        """Start at the epoch; set `ts` before each table update."""
        self.ts = 0.0

    def __call__(self, event: Any = None) -> float:
        """The timestamp for the windowed tables (the event argument is ignored)."""
        return self.ts


@dataclass
class Tally:
    """Counts of one facts record per (window start, topic code) and (window start, channel)."""

    topics: Counter[tuple[float, str]] = field(default_factory=Counter)
    channels: Counter[tuple[float, str]] = field(default_factory=Counter)
    facts: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0


def tally(facts: list[dict[str, Any]], window_seconds: float) -> Tally:
    """Count facts per event-time window; facts without a usable created_at are skipped."""
    result = Tally()
    topic_keys: list[tuple[float, str]] = []
    channel_keys: list[tuple[float, str]] = []
    for fact in facts:
        ts = event_time(fact.get("created_at"))
        if ts is None:
            result.skipped += 1
            continue
        start = ts - ts % window_seconds
        code = (fact.get("topic") or {}).get("code") or "overig"
        topic_keys.append((start, str(code)))
        channel_keys.append((start, str(fact.get("channel") or "unknown")))
        result.facts.append(fact)
    result.topics.update(topic_keys)      # one counting pass in C per table rather than one += per fact
    result.channels.update(channel_keys)
    return result


def pack_state(detector: SpikeDetector) -> bytes:
    """The detector's snapshot as compressed JSON (about a tenth of the plain size)."""
    return zlib.compress(json.dumps(detector.snapshot(), separators=(",", ":")).encode("utf-8"), 6)


def unpack_state(blob: bytes, config: DetectorConfig) -> SpikeDetector:
    """Rebuild a detector from pack_state() output."""
    return SpikeDetector.restore(json.loads(zlib.decompress(blob)), config)


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
                except (ValueError, zlib.error, KeyError, TypeError) as err:
                    log.error("saved spike detector state for %r is unusable (%s); starting afresh", key, err)
            detector = detector or SpikeDetector(self.config)
            self.detectors[key] = detector
            self.saved_at[key] = time.monotonic()
        return detector

    def maybe_save(self, key: str, force: bool = False) -> bool:
        """Save the state when forced or when `snapshot_seconds` passed; must run inside the stream."""
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
    """The municipality key of a facts record."""
    key = event.message.key
    return key.decode("utf-8", errors="replace") if isinstance(key, bytes) else str(key or "")


def register_counts_agent(app: Any, settings: Any, config: DetectorConfig, progress: WorkerProgress) -> Any:
    """Define the tables and the counts agent on `app` (a faust.App); return the agent."""
    facts_topic = app.topic(settings.facts_topic, key_serializer="raw", value_serializer="raw",
                            partitions=settings.partitions)
    alerts_topic = app.topic(settings.topic_alerts, key_serializer="raw", value_serializer="raw",
                             partitions=settings.partitions)
    clock = FactClock()
    window = timedelta(minutes=config.window_minutes)
    json_schema = faust.Schema(key_serializer="json", value_serializer="json")
    topic_counts = app.Table(TOPIC_COUNTS_TABLE, default=int, partitions=settings.partitions, schema=json_schema,
                             help="signals per topic code per detector window (event time)",
                             ).tumbling(window, expires=COUNT_RETENTION).relative_to(clock)
    channel_counts = app.Table(CHANNEL_COUNTS_TABLE, default=int, partitions=settings.partitions, schema=json_schema,
                               help="signals per channel per detector window (event time)",
                               ).tumbling(window, expires=COUNT_RETENTION).relative_to(clock)
    state = app.Table(DETECTOR_STATE_TABLE, partitions=settings.partitions,
                      schema=faust.Schema(key_serializer="json", value_serializer="raw"),
                      help="compressed spike detector snapshots per municipality")
    keeper = DetectorKeeper(config, state, settings.snapshot_seconds)

    @app.on_partitions_revoked.connect
    async def _forget_detectors(sender: Any, revoked: Any = None, **kwargs: Any) -> None:
        """After a rebalance the saved state, not memory, is the truth."""
        keeper.forget()

    def add_counts(table: Any, counts: Counter[tuple[float, str]]) -> None:
        """Add tallied counts to a windowed table, each in the window of its start time."""
        for (start, key), n in counts.items():
            clock.ts = start
            table[key] += n

    async def count(stream: Any) -> None:
        """Count each record's facts in their windows, feed the detector and publish its alert events."""
        async for event in stream.events():
            try:
                counted = tally(decode_facts(event.message.value), window.total_seconds())
            except ValueError as err:
                log.error("counts agent: unreadable facts record at partition %s offset %s (%s); skipped",
                          event.message.partition, event.message.offset, err)
                continue
            if counted.skipped:
                log.error("counts agent: %d facts without a usable created_at; not counted", counted.skipped)
            add_counts(topic_counts, counted.topics)
            add_counts(channel_counts, counted.channels)
            key = fact_key_of(event)
            try:
                alert_events = keeper.get(key).observe(counted.facts)
            except Exception:  # noqa: BLE001 - the detector must never stop counting
                log.exception("spike detector failed on a batch of %d facts", len(counted.facts))
                continue
            for alert_event in alert_events:
                payload = alert_event.to_dict()
                await alerts_topic.send(key=encode_key(payload["alert"]["id"]), value=to_json_bytes(payload))
                log.info("alert %s: %s %s", payload["kind"], payload["alert"]["topic"], payload["alert"]["scope"])
            keeper.maybe_save(key, force=bool(alert_events))
            progress.add(counted=len(counted.facts), alerts=len(alert_events))

    return app.agent(facts_topic, name="counts")(count)

"""A scripted failover over the mock broker: two workers, one SIGKILLed mid-stream and restarted; then the
windowed counts (from the count tables' changelogs, what a worker taking over would restore) are compared
with the store's counts per key and window, and the takeover time is measured."""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.bench.kafka_workers import WorkerProcess, replay, stop_all, stored_count, wait_until, worker_env
from pipeline.runners.kafka.config import KafkaSettings
from pipeline.runners.kafka.topics import CHANNEL_COUNTS_TABLE, KAFKA_PYTHON_API_VERSION, TOPIC_COUNTS_TABLE

WINDOW_SECONDS = 15 * 60
WindowCounts = dict[tuple[str, float], int]


def read_topic(bootstrap: str, topic: str, idle_ms: int = 1500, within: float = 600.0) -> list[Any]:
    """Every record of `topic` from the beginning up to its end offsets when called (no consumer group);
    raises TimeoutError when that takes longer than `within` seconds (a partial read would undercount)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, api_version=KAFKA_PYTHON_API_VERSION,
                             enable_auto_commit=False, group_id=None)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        records: list[Any] = []
        deadline = time.monotonic() + within
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic} took longer than {within:.0f} s")
            for batch in consumer.poll(timeout_ms=idle_ms).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def deleted_records(bootstrap: str, topics: list[str]) -> dict[str, int]:
    """Per topic, how many of its oldest records the broker has deleted (the sum of its partitions' log start
    offsets). librdkafka's mock cluster keeps about 5 MB per partition and drops the oldest records beyond that,
    read or not; a count comparison after such a drop says nothing about the workers."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, api_version=KAFKA_PYTHON_API_VERSION,
                             enable_auto_commit=False, group_id=None)
    try:
        deleted = {}
        for topic in topics:
            tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
            deleted[topic] = sum(consumer.beginning_offsets(tps).values()) if tps else 0
        return deleted
    finally:
        consumer.close()


def changelog_counts(bootstrap: str, changelog: str) -> WindowCounts:
    """Signals per (key, window start) in a count table's changelog, which holds one entry per ((key, signal
    id), window); the latest record of an entry decides (a tombstone takes it out)."""
    present: dict[tuple[str, str, float], bool] = {}
    for record in read_topic(bootstrap, changelog):
        (key, signal_id), (start, _end) = json.loads(record.key)
        present[(str(key), str(signal_id), float(start))] = record.value is not None
    counts: WindowCounts = {}
    for (key, _signal_id, start), there in present.items():
        if there:
            counts[(key, start)] = counts.get((key, start), 0) + 1
    return counts


def store_counts(store: Path, column: str, window_seconds: float = WINDOW_SECONDS) -> WindowCounts:
    """Signals per (`column` value, event-time window start) in a SQLite store."""
    if column not in ("topic", "channel"):
        raise ValueError("column must be topic or channel")
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute(f"SELECT COALESCE({column}, ?), ts FROM signals",
                            ("overig" if column == "topic" else "unknown",)).fetchall()
    finally:
        conn.close()
    counts: WindowCounts = {}
    for key, ts in rows:
        start = ts - ts % window_seconds
        counts[(key, float(start))] = counts.get((key, float(start)), 0) + 1
    return counts


def mismatches(counted: WindowCounts, stored: WindowCounts, since: float = float("-inf")
               ) -> dict[tuple[str, float], tuple[int, int]]:
    """(counted, stored) per (key, window start) where the windowed counts and the store disagree, for the
    windows that start at or after `since` (older windows have expired from the count tables by design)."""
    keys = {k for k in (*counted, *stored) if k[1] >= since}
    return {k: (counted.get(k, 0), stored.get(k, 0)) for k in sorted(keys)
            if counted.get(k, 0) != stored.get(k, 0)}


def difference(counted: WindowCounts, stored: WindowCounts, since: float = float("-inf")) -> tuple[int, int]:
    """(over-count, under-count) of the windowed counts against the store, summed over keys and the windows
    that start at or after `since`."""
    wrong = mismatches(counted, stored, since).values()
    return sum(max(0, c - s) for c, s in wrong), sum(max(0, s - c) for c, s in wrong)


def per_key(wrong: dict[tuple[str, float], tuple[int, int]]) -> dict[str, tuple[int, int, int]]:
    """(over-count, under-count, windows that differ) per key."""
    out: dict[str, tuple[int, int, int]] = {}
    for (key, _start), (counted, stored) in wrong.items():
        over, under, windows = out.get(key, (0, 0, 0))
        out[key] = (over + max(0, counted - stored), under + max(0, stored - counted), windows + 1)
    return out


def retained_since(store: Path) -> float:
    """The start of the oldest window the count tables still keep: the newest stored signal minus the
    tables' retention, plus a window (the one straddling the limit may be partly expired)."""
    from pipeline.runners.kafka.agents.counts import COUNT_RETENTION

    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)
    try:
        newest = conn.execute("SELECT MAX(ts) FROM signals").fetchone()[0]
    finally:
        conn.close()
    return float("-inf") if newest is None else newest - COUNT_RETENTION.total_seconds() + WINDOW_SECONDS


def stored_alert_ids(store: Path) -> set[str]:
    """Alert ids in the store's alerts table."""
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM alerts")}
    except sqlite3.Error:
        return set()
    finally:
        conn.close()


@dataclass
class FailoverRun:
    """What a run with (or without) a SIGKILL measured."""

    signals: int
    stored: int
    over: dict[str, int] = field(default_factory=dict)
    under: dict[str, int] = field(default_factory=dict)
    # per dimension: (key, window start) -> (counted, stored) where they differ
    wrong: dict[str, dict[tuple[str, float], tuple[int, int]]] = field(default_factory=dict)
    windows: dict[str, int] = field(default_factory=dict)   # per dimension: (key, window) pairs compared
    takeover_seconds: float | None = None
    rejoin_seconds: float | None = None
    alerts: set[str] = field(default_factory=set)
    complete: bool = False
    counts_lag_seconds: float = 0.0   # from every signal stored to the counts adding up
    deleted: dict[str, int] = field(default_factory=dict)   # per topic: oldest records the broker deleted


def count_report(run: FailoverRun, shown: int = 8) -> list[str]:
    """Lines on the windowed counts against the store: per dimension the over- and under-count over every
    (key, window) compared, then per key and for the first `shown` windows that differ."""
    from datetime import datetime, timezone

    lines = []
    for topic, count in sorted(run.deleted.items()):
        if count:
            lines.append(f"the broker deleted the oldest {count:,} records of {topic} (its size limit per "
                         "partition): the comparison below may count what was never delivered")
    for column in ("topic", "channel"):
        wrong = run.wrong.get(column, {})
        lines.append(f"{column} counts: {run.windows.get(column, 0)} (key, window) pairs compared, over-count "
                     f"{run.over.get(column, 0)}, under-count {run.under.get(column, 0)}, "
                     f"{len(wrong)} pairs differ")
        for key, (over, under, windows) in sorted(per_key(wrong).items()):
            lines.append(f"  {column} {key}: over-count {over}, under-count {under} in {windows} windows")
        for (key, start), (counted, stored) in list(wrong.items())[:shown]:
            moment = datetime.fromtimestamp(start, timezone.utc).strftime("%Y-%m-%d %H:%M")
            lines.append(f"    {key} window {moment} UTC: counted {counted}, stored {stored}")
    return lines


def owns_all(workers: list[WorkerProcess], topic: str, partitions: int) -> bool:
    """True when the live workers own every partition of `topic` between them, none twice."""
    owned = [p for w in workers if w.alive for p in w.partitions(topic)]
    return sorted(owned) == list(range(partitions))


def streams_owned(workers: list[WorkerProcess], settings: KafkaSettings, partitions: int) -> bool:
    """True when the live workers own every partition of the raw topic (their raw consumer group) and of the
    facts topic (their Faust group) between them, none twice: both groups have settled."""
    return all(owns_all(workers, topic, partitions) for topic in (settings.topic_raw, settings.facts_topic))


def counts_settled(bootstrap: str, store: Path, settings: KafkaSettings, timeout: float) -> WindowCounts:
    """Wait until the topic counts in the changelog add up to the stored signals (or `timeout`); return them."""
    counted: WindowCounts = {}

    def settled() -> bool:
        """True when the changelog's topic counts match the store's in every retained window."""
        nonlocal counted
        counted = changelog_counts(bootstrap, settings.changelog_topic(TOPIC_COUNTS_TABLE))
        return difference(counted, store_counts(store, "topic"), retained_since(store))[1] == 0
    wait_until(settled, timeout, 2.0)
    return counted


def failover_run(path: Path, n: int, workdir: Path, partitions: int = 4, kill_at: float | None = 0.3,
                 extra_env: dict[str, str] | None = None, timeout: float = 300.0) -> FailoverRun:
    """Two workers process `path` (n signals); with `kill_at`, one is SIGKILLed once that share is stored and
    restarted after the other took over. Returns counts against the store, takeover and rejoin times."""
    from pipeline.bench.kafka_broker import MockCluster
    from pipeline.runners.kafka.topics import create_on_mock

    workdir.mkdir(parents=True, exist_ok=True)
    store = workdir / "store.db"
    result = FailoverRun(signals=n, stored=0)
    with MockCluster(brokers=1, initial_rebalance_delay_ms=3000) as cluster:
        settings = KafkaSettings(broker=cluster.bootstrap, partitions=partitions, sqlite_path=store)
        create_on_mock(cluster, settings)
        env = worker_env(cluster.bootstrap, store, partitions, **(extra_env or {}))
        workers = [WorkerProcess(name, workdir, env).start() for name in ("left", "right")]
        try:
            if not wait_until(lambda: streams_owned(workers, settings, partitions)
                              and all(w.partitions(settings.topic_raw) for w in workers), 120, 0.2):
                raise RuntimeError("workers did not split the partitions: " + workers[0].log_tail(800))
            replay(settings, path, workdir / "input.cursor")
            if kill_at is not None:
                wait_until(lambda: stored_count(store) >= n * kill_at, timeout, 0.05)
                victim = workers[0]
                victim.kill()
                killed = time.monotonic()
                if wait_until(lambda: streams_owned(workers, settings, partitions), timeout, 0.1):
                    result.takeover_seconds = time.monotonic() - killed
                restarted = WorkerProcess("left-again", workdir, env).start()
                workers.append(restarted)
                began = time.monotonic()
                if wait_until(lambda: bool(restarted.partitions(settings.topic_raw))
                              and streams_owned(workers, settings, partitions), timeout, 0.1):
                    result.rejoin_seconds = time.monotonic() - began
            result.complete = wait_until(lambda: stored_count(store) >= n, timeout, 0.2)
            result.stored = stored_count(store)
            stored_at = time.monotonic()
            counted = counts_settled(cluster.bootstrap, store, settings, timeout)
            result.counts_lag_seconds = time.monotonic() - stored_at
            for column, table in (("topic", TOPIC_COUNTS_TABLE), ("channel", CHANNEL_COUNTS_TABLE)):
                table_counts = counted if column == "topic" else changelog_counts(
                    cluster.bootstrap, settings.changelog_topic(table))
                stored_counts, since = store_counts(store, column), retained_since(store)
                wrong = mismatches(table_counts, stored_counts, since)
                result.wrong[column] = wrong
                result.windows[column] = len({k for k in (*table_counts, *stored_counts) if k[1] >= since})
                result.over[column] = sum(max(0, c - s) for c, s in wrong.values())
                result.under[column] = sum(max(0, s - c) for c, s in wrong.values())
            result.deleted = deleted_records(cluster.bootstrap, [settings.facts_topic, settings.detect_topic, *(
                settings.changelog_topic(table) for table in (TOPIC_COUNTS_TABLE, CHANNEL_COUNTS_TABLE))])
            time.sleep(2.0)   # let the alert-sink agent store the last alert events
            result.alerts = stored_alert_ids(store)
        finally:
            stop_all(workers)
    return result

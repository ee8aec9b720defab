"""The distributed runner end to end over real TCP: connector -> mock Kafka -> Faust workers -> SQLite.

Workers run as child processes (`python -m pipeline worker`) against librdkafka's mock
cluster, which lives in the test process. Group session timeout is 10 s, so a killed worker's
partitions move within about that long.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from fakes.kafka_bed import (  # noqa: F401 - kafka_bed_fixture provides kafka_bed
    KafkaTestBed,
    committed_total,
    consume_topic,
    kafka_bed_fixture,
    make_test_bed,
    start_mock_cluster,
)
from pipeline.bench.kafka_workers import WorkerProcess, stop_all, stored_count, stored_ids, wait_until, worker_env
from pipeline.core.signal import RawSignal
from pipeline.runners.kafka.config import KafkaSettings
from pipeline.runners.kafka.connector import Connector, CursorFile, new_producer
from pipeline.runners.kafka.topics import KAFKA_PYTHON_API_VERSION
from pipeline.sources.demo.generator import generate, write_jsonl
from pipeline.sources.replay import ReplaySource

pytestmark = pytest.mark.slow

PARTITIONS = 4
START_TIMEOUT = 60.0
DRAIN_TIMEOUT = 60.0


def demo_signals(n: int, prefix: str, seed: int = 5) -> list[RawSignal]:
    """`n` generated signals with ids unique to `prefix`."""
    return [dataclasses.replace(s, id=f"{s.channel}:{prefix}-{i}") for i, s in enumerate(generate(n, seed=seed))]


def replay_into_kafka(bed: KafkaTestBed, signals: list[RawSignal], name: str) -> int:
    """Run the replay connector over `signals` (written to a JSONL file); returns how many it sent."""
    path = bed.workdir / f"{name}.jsonl"
    write_jsonl(path, signals)
    producer = new_producer(bed.settings)
    try:
        stats = Connector(ReplaySource(path, batch_size=100), producer, bed.settings,
                          CursorFile(bed.workdir / f"{name}.cursor.json")).run()
    finally:
        producer.close()
    return stats.signals


def start_worker(bed: KafkaTestBed, name: str, **env: str) -> WorkerProcess:
    """A worker child process writing to the bed's SQLite store."""
    return WorkerProcess(name, bed.workdir, worker_env(bed.bootstrap, bed.settings.sqlite_path, PARTITIONS,
                                                       **env)).start()


def wait_for_partitions(workers: list[WorkerProcess], timeout: float = START_TIMEOUT) -> None:
    """Wait until the workers own every partition of signals.raw (the raw consumer group) and of the facts
    topic (the Faust group) between them, none twice, each some of signals.raw."""
    topics = ("signals.raw", KafkaSettings().facts_topic)

    def split() -> bool:
        """True when the workers own every partition of both topics between them, none twice."""
        return all(w.partitions("signals.raw") for w in workers) and all(
            sorted(p for w in workers for p in w.partitions(topic)) == list(range(PARTITIONS)) for topic in topics)
    if not wait_until(split, timeout):
        logs = "\n".join(f"--- {w.name}: {w.progress()}\n{w.log_tail()}" for w in workers)
        pytest.fail(f"workers did not split the partitions within {timeout} s\n{logs}")


def wait_for_store(store: Path, expected: int, workers: list[WorkerProcess], timeout: float = DRAIN_TIMEOUT) -> None:
    """Wait until the store holds `expected` signals."""
    if not wait_until(lambda: stored_count(store) >= expected, timeout):
        logs = "\n".join(f"--- {w.name}: {w.progress()}\n{w.log_tail()}" for w in workers)
        pytest.fail(f"store has {stored_count(store)} of {expected} signals after {timeout} s\n{logs}")


def stored_docs(store: Path, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored enriched documents for `ids`."""
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)
    try:
        marks = ",".join("?" * len(ids))
        return {row[0]: json.loads(row[1]) for row in conn.execute(f"SELECT id, doc FROM signals WHERE id IN ({marks})",
                                                                   ids)}
    finally:
        conn.close()


def windowed_total(bed: KafkaTestBed, changelog: str) -> int:
    """How many entries (one per signal per key and window) a count table's changelog topic holds."""
    latest: dict[bytes, bool] = {}
    for record in consume_topic(bed.bootstrap, changelog, 10**9, timeout=1.0):
        latest[record.key] = record.value is not None
    return sum(latest.values())


def stored_alert_ids(store: Path) -> set[str]:
    """Ids in the store's alerts table (empty when there is none yet)."""
    try:
        conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)
        try:
            return {row[0] for row in conn.execute("SELECT id FROM alerts")}
        finally:
            conn.close()
    except sqlite3.Error:
        return set()


def seven_hours(start: datetime) -> list[RawSignal]:
    """Seven hours of the generated stream (about 200 signals an hour) with a spike after five."""
    return [dataclasses.replace(s, id=f"{s.channel}:e2e-{i}") for i, s in enumerate(
        generate(None, seed=4, start=start, end=start + timedelta(hours=7), rate_per_hour=200,
                 spikes=[start + timedelta(hours=5)]))]


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KafkaTestBed, WorkerProcess]]:
    """A mock cluster with one running worker, shared by the single-worker tests (each uses its own ids).

    Its spike detector needs only 2 hours of history before it may alert (a settings file's [alerts]).
    """
    cluster = start_mock_cluster()
    bed = make_test_bed(cluster, tmp_path_factory.mktemp("one-worker"))
    config = bed.workdir / "settings.toml"
    config.write_text("[alerts]\nwarmup_hours = 2\nwindow_minutes = 15\n", encoding="utf-8")
    worker = start_worker(bed, "solo", STADSSIGNAAL_CONFIG=str(config))
    try:
        wait_for_partitions([worker])
        yield bed, worker
    finally:
        worker.stop()
        cluster.close()


def test_connector_to_worker_to_sink_delivers_every_signal_enriched_once(one_worker: tuple[KafkaTestBed,
                                                                                           WorkerProcess]) -> None:
    bed, worker = one_worker
    three_days_ago = datetime.now(timezone.utc) - timedelta(days=3)
    signals = seven_hours(three_days_ago.replace(hour=6, minute=0, second=0, microsecond=0))  # incl. the morning rise
    n = len(signals)
    before = stored_count(bed.settings.sqlite_path)
    assert replay_into_kafka(bed, signals, "e2e") == n
    wait_for_store(bed.settings.sqlite_path, before + n, [worker])

    ids = stored_ids(bed.settings.sqlite_path)
    assert len(ids) == len(set(ids))
    wanted = [s.id for s in signals]
    assert set(wanted) <= set(ids)
    docs = stored_docs(bed.settings.sqlite_path, wanted)
    for signal in signals:
        doc = docs[signal.id]
        assert doc["channel"] == signal.channel
        assert doc["topic"]["code"] and doc["sentiment"]["label"] in ("negative", "neutral", "positive")
        assert "model_version" in doc and "enriched_at" in doc
    # enriched signals are on the enriched topic, keyed by id
    enriched = consume_topic(bed.bootstrap, "signals.enriched", before + n)
    assert set(wanted) <= {r.key.decode() for r in enriched}
    # every one was counted in the windowed per-topic table (its changelog holds the latest counts)
    assert wait_until(lambda: worker.count("counted") >= before + n, 20)
    assert wait_until(lambda: windowed_total(bed, "stadssignaal-topic-counts-changelog") >= before + n, 20, 1.0)
    # the spike detector saw the stream: alert events on signals.alerts, each alert stored once
    assert wait_until(lambda: worker.count("alerts_stored") > 0, 20), worker.progress()
    events = [json.loads(r.value) for r in consume_topic(bed.bootstrap, "signals.alerts", worker.count("alerts"))]
    assert events and all(e["kind"] in ("opened", "updated", "closed") for e in events)
    assert all(r.key.decode() == json.loads(r.value)["alert"]["id"] for r in
               consume_topic(bed.bootstrap, "signals.alerts", len(events), timeout=2))
    assert wait_until(lambda: stored_alert_ids(bed.settings.sqlite_path) == {e["alert"]["id"] for e in events}, 10)


def test_malformed_records_go_to_the_deadletter_topic_and_the_stream_continues(
        one_worker: tuple[KafkaTestBed, WorkerProcess]) -> None:
    from kafka import KafkaProducer

    bed, worker = one_worker
    good_before, good_after = demo_signals(20, "before-bad"), demo_signals(20, "after-bad", seed=6)
    before = stored_count(bed.settings.sqlite_path)
    bad = [b"{this is not json", json.dumps({"id": "twitter:x1", "channel": "twitter"}).encode(),
           b"\xff\xfe\xfa", json.dumps({"id": "fax:1", "channel": "fax", "created_at": "2026-03-02T09:00:00Z",
                                        "text": "hallo"}).encode(),
           json.dumps([{"id": "twitter:in-an-array", "channel": "twitter", "text": "Jan de Vries 0612345678"}]).encode()]
    producer = KafkaProducer(bootstrap_servers=bed.bootstrap, api_version=KAFKA_PYTHON_API_VERSION, acks="all")
    for signal in good_before:
        producer.send("signals.raw", key=signal.id.encode(), value=json.dumps(signal.to_dict()).encode())
    for i, value in enumerate(bad):
        producer.send("signals.raw", key=f"bad-{i}".encode(), value=value, partition=i % PARTITIONS)
    producer.flush(10)
    for signal in good_after:
        producer.send("signals.raw", key=signal.id.encode(), value=json.dumps(signal.to_dict()).encode())
    producer.flush(10)
    producer.close()

    wait_for_store(bed.settings.sqlite_path, before + 40, [worker])
    ids = set(stored_ids(bed.settings.sqlite_path))
    assert {s.id for s in good_before + good_after} <= ids
    letters = [json.loads(r.value) for r in consume_topic(bed.bootstrap, "signals.deadletter", len(bad))]
    reasons = " | ".join(letter["reason"] for letter in letters)
    assert len(letters) == len(bad), reasons
    for expected in ("invalid JSON", "missing field", "UTF-8", "channel is unknown"):
        assert expected in reasons
    assert all(letter["source"] == "kafka:signals.raw" and "offset" in letter["position"] for letter in letters)
    # the store has the same dead letters: reason, length and sha256 of the raw bytes, never the raw line
    conn = sqlite3.connect(f"file:{bed.settings.sqlite_path}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute("SELECT reason, raw, raw_bytes, raw_sha256 FROM deadletters WHERE source = 'kafka:signals.raw'"
                            ).fetchall()
    finally:
        conn.close()
    assert sorted((size, digest) for _, _, size, digest in rows) == sorted(
        (len(value), hashlib.sha256(value).hexdigest()) for value in bad)
    assert all(raw == "" for _, raw, _, _ in rows)
    every_id = stored_ids(bed.settings.sqlite_path)
    assert len(every_id) == len(set(every_id)) == before + 40   # the good ones around them, each once
    assert worker.alive


def test_two_workers_split_the_partitions_and_together_process_everything(kafka_bed: KafkaTestBed) -> None:
    workers = [start_worker(kafka_bed, "left"), start_worker(kafka_bed, "right")]
    try:
        wait_for_partitions(workers)
        signals = demo_signals(600, "pair")
        assert replay_into_kafka(kafka_bed, signals, "pair") == 600
        wait_for_store(kafka_bed.settings.sqlite_path, 600, workers)
        assert wait_until(lambda: sum(w.count("enriched") for w in workers) >= 600, 10)
        owned = [set(w.partitions("signals.raw")) for w in workers]
        enriched = [w.count("enriched") for w in workers]
    finally:
        stop_all(workers)
    assert owned[0].isdisjoint(owned[1]) and owned[0] | owned[1] == set(range(PARTITIONS))
    assert all(n > 0 for n in enriched), enriched  # both did part of the work
    ids = stored_ids(kafka_bed.settings.sqlite_path)
    assert sorted(ids) == sorted(s.id for s in signals)


def test_a_killed_worker_is_replaced_and_the_sink_still_has_every_signal_once(kafka_bed: KafkaTestBed) -> None:
    store = kafka_bed.settings.sqlite_path
    # A long commit interval: little or nothing the first worker did is committed when it dies (a rebalance
    # may still commit), so its uncommitted part is delivered again to its replacement (at-least-once),
    # and the sink must absorb the duplicates.
    slow_commits = {"STADSSIGNAAL_KAFKA_COMMIT_INTERVAL": "120"}
    first = start_worker(kafka_bed, "doomed", **slow_commits)
    replacement = None
    try:
        wait_for_partitions([first])
        part_one, part_two = demo_signals(300, "crash-a"), demo_signals(300, "crash-b", seed=8)
        replay_into_kafka(kafka_bed, part_one, "crash-a")
        wait_for_store(store, 300, [first])
        first.kill()  # mid-stream: processed but uncommitted, and more signals on the way
        committed = committed_total(kafka_bed.bootstrap, kafka_bed.settings.raw_group, kafka_bed.settings.topic_raw)
        replay_into_kafka(kafka_bed, part_two, "crash-b")
        replacement = start_worker(kafka_bed, "replacement", **slow_commits)
        wait_for_store(store, 600, [replacement])
        to_redo = 600 - committed  # everything past the committed offsets comes to the replacement
        # takeover takes 11-20 s with the defaults; more under load
        wait_until(lambda: replacement.count("stored") >= to_redo, 90)
        redone, log_tail = replacement.count("stored"), replacement.log_tail()
    finally:
        first.kill()
        if replacement is not None:
            replacement.stop()
    ids = stored_ids(store)
    assert len(ids) == len(set(ids)) == 600
    assert set(ids) == {s.id for s in part_one + part_two}
    # the first worker's uncommitted part came again, and was stored without duplicates
    assert redone >= to_redo, f"replacement stored {redone} of {to_redo} ({committed} committed)\n{log_tail}"


def test_a_worker_with_the_standalone_sink_agent_stores_every_signal_once(kafka_bed: KafkaTestBed) -> None:
    # sink_in_enrich off: the enrich task only produces signals.enriched and the sink agent consumes it.
    worker = start_worker(kafka_bed, "sink-agent", STADSSIGNAAL_KAFKA_SINK_IN_ENRICH="false")
    try:
        wait_for_partitions([worker])
        signals = demo_signals(300, "sink-agent")
        assert replay_into_kafka(kafka_bed, signals, "sink-agent") == 300
        wait_for_store(kafka_bed.settings.sqlite_path, 300, [worker])
        assert wait_until(lambda: worker.count("stored") >= 300, 10), worker.progress()
        assert worker.count("enriched") >= 300
    finally:
        worker.stop()
    ids = stored_ids(kafka_bed.settings.sqlite_path)
    assert sorted(ids) == sorted(s.id for s in signals)


def live_entries(bed: KafkaTestBed, changelog: str) -> tuple[list[tuple[Any, ...]], int]:
    """What a worker restoring a count table from its changelog would hold (the latest record per key; a
    tombstone takes the entry out), as ((value, id), (start, end)) entries, and how many tombstones it read."""
    latest: dict[bytes, bool] = {}
    deleted = 0
    for record in consume_topic(bed.bootstrap, changelog, 10**9, timeout=1.0):
        latest[record.key] = record.value is not None
        deleted += record.value is None
    entries = [tuple(tuple(part) for part in json.loads(key)) for key, live in latest.items() if live]
    return entries, deleted


def test_count_windows_past_the_retention_are_tombstoned_in_the_changelog(kafka_bed: KafkaTestBed) -> None:
    from pipeline.runners.kafka.agents.counts import COUNT_RETENTION

    # batches of 200 (four days at 8 an hour are about 770 signals): the first days' entries are written before
    # later batches move the event-time clock past them, so there is something to tombstone
    worker = start_worker(kafka_bed, "expiry", STADSSIGNAAL_KAFKA_TABLE_CLEANUP_SECONDS="1",
                          STADSSIGNAAL_KAFKA_BATCH_SIZE="200")
    try:
        wait_for_partitions([worker])
        start = datetime(2026, 3, 1, 0, 0, tzinfo=timezone.utc)
        signals = [dataclasses.replace(s, id=f"{s.channel}:aged-{i}") for i, s in enumerate(
            generate(None, seed=3, start=start, end=start + timedelta(days=4), rate_per_hour=8, spikes=[]))]
        assert replay_into_kafka(kafka_bed, signals, "aged") == len(signals)
        wait_for_store(kafka_bed.settings.sqlite_path, len(signals), [worker])
        # the newest window seen, minus the retention: windows ending at or before it are expired
        times = [s.created_at.timestamp() for s in signals]
        ends = [t - t % 900 + 900 for t in times]
        limit = max(ends) - COUNT_RETENTION.total_seconds()
        retained = sum(1 for end in ends if end > limit)
        assert 0 < retained < len(signals) / 2 + 200      # about half the input is past the retention

        def settled(changelog: str) -> bool:
            """True when the restorable state holds exactly the retained windows' signals."""
            entries, deleted = live_entries(kafka_bed, changelog)
            return deleted > 0 and len(entries) == retained and all(end > limit for _, (_, end) in entries)
        for table in ("topic", "channel"):
            changelog = f"stadssignaal-{table}-counts-changelog"
            assert wait_until(lambda: settled(changelog), 30, 1.0), (worker.progress(), live_entries(
                kafka_bed, changelog)[1], len(live_entries(kafka_bed, changelog)[0]), retained)
        assert worker.count("expired_topic") == worker.count("counted_topic") - retained
    finally:
        worker.stop()

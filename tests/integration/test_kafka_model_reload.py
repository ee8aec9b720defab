"""A running Kafka worker started with a model registry picks up a promoted version without a restart."""
from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from pathlib import Path

import pytest

from fakes.kafka_bed import KafkaTestBed, kafka_bed_fixture  # noqa: F401 - kafka_bed_fixture provides kafka_bed
from fakes.model_versions import make_version
from pipeline.bench.kafka_workers import WorkerProcess, stored_count, wait_until, worker_env
from pipeline.models.hot_reload import CHECK_EVERY_SECONDS
from pipeline.models.registry import ModelRegistry
from pipeline.runners.kafka.connector import Connector, CursorFile, new_producer
from pipeline.sources.demo.generator import generate, write_jsonl
from pipeline.sources.replay import ReplaySource

pytestmark = pytest.mark.slow

PARTITIONS = 4


def send(bed: KafkaTestBed, prefix: str, n: int) -> list[str]:
    """Replay `n` demo signals with ids starting with `prefix` into signals.raw; their ids."""
    signals = [dataclasses.replace(s, id=f"{s.channel}:{prefix}-{i}") for i, s in enumerate(generate(n, seed=3))]
    path = bed.workdir / f"{prefix}.jsonl"
    write_jsonl(path, signals)
    producer = new_producer(bed.settings)
    try:
        Connector(ReplaySource(path, batch_size=50), producer, bed.settings,
                  CursorFile(bed.workdir / f"{prefix}.cursor.json")).run()
    finally:
        producer.close()
    return [s.id for s in signals]


def versions_of(store: Path, ids: list[str]) -> set[str]:
    """The model_version of the stored documents with these ids."""
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)
    try:
        marks = ",".join("?" * len(ids))
        return {json.loads(doc)["model_version"] for (doc,) in
                conn.execute(f"SELECT doc FROM signals WHERE id IN ({marks})", ids)}
    finally:
        conn.close()


def test_worker_switches_to_a_promoted_version(kafka_bed: KafkaTestBed, tmp_path: Path) -> None:
    """Signals before the promotion carry the starting model's version, signals after it the promoted one's."""
    registry = ModelRegistry(tmp_path / "models")
    make_version(registry, tmp_path, "eerste")
    store = kafka_bed.settings.sqlite_path
    worker = WorkerProcess("reload", kafka_bed.workdir, worker_env(
        kafka_bed.bootstrap, store, PARTITIONS, STADSSIGNAAL_MODEL_REGISTRY=str(registry.root))).start()
    try:
        before = send(kafka_bed, "before", 40)
        assert wait_until(lambda: stored_count(store) >= 40, 90), worker.log_tail()
        assert versions_of(store, before) == {"keywords-1"}
        registry.promote("v0001")
        time.sleep(CHECK_EVERY_SECONDS + 0.5)
        after = send(kafka_bed, "after", 40)
        assert wait_until(lambda: stored_count(store) >= 80, 60), worker.log_tail()
        found = versions_of(store, after)
        assert len(found) == 1 and next(iter(found)).startswith("eerste-"), (found, worker.log_tail())
        assert worker.alive
    finally:
        worker.stop()

"""Pytest fixtures for the Kafka tests: a real Kafka wire-protocol broker with every topic pre-created.

The broker is librdkafka's mock cluster from the confluent-kafka wheel (see
tests/pipeline/bench/kafka_broker.py). It runs inside the test process and speaks Kafka over TCP,
so workers started as child processes reach it like any broker. Test modules import what they use;
importing `kafka_bed_fixture` makes the `kafka_bed` fixture available.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from pipeline.runners.kafka.config import KafkaSettings
from pipeline.runners.kafka.topics import KAFKA_PYTHON_API_VERSION, create_on_mock

TEST_PARTITIONS = 4
# The mock waits this long after a group's first member joins before assigning partitions, so
# workers started together join one rebalance; a member joining later costs a rebalance of about
# the session timeout (the mock does not end a rebalance early when everyone has rejoined).
INITIAL_REBALANCE_DELAY_MS = 5000


@dataclass
class KafkaTestBed:
    """A running mock cluster with the topics created, and settings pointing at it."""

    cluster: Any
    settings: KafkaSettings
    workdir: Path

    @property
    def bootstrap(self) -> str:
        """host:port list of the mock brokers."""
        return self.cluster.bootstrap


def start_mock_cluster() -> Any:
    """A MockCluster, or a pytest skip when confluent-kafka (which ships it) is not installed."""
    pytest.importorskip("confluent_kafka", reason="confluent-kafka (librdkafka's mock cluster) is not installed")
    pytest.importorskip("kafka", reason="kafka-python is not installed")
    from pipeline.bench.kafka_broker import MockCluster

    return MockCluster(brokers=1, initial_rebalance_delay_ms=INITIAL_REBALANCE_DELAY_MS)


def make_test_bed(cluster: Any, workdir: Path, partitions: int = TEST_PARTITIONS, **overrides: Any) -> KafkaTestBed:
    """Settings for `cluster` (state under `workdir`) with every required topic created on it."""
    settings = KafkaSettings(broker=cluster.bootstrap, partitions=partitions, sqlite_path=workdir / "store.db",
                             connector_state_dir=workdir / "connectors", datadir=workdir / "faust", **overrides)
    create_on_mock(cluster, settings)
    return KafkaTestBed(cluster, settings, workdir)


@pytest.fixture(name="kafka_bed")
def kafka_bed_fixture(tmp_path: Path) -> Iterator[KafkaTestBed]:
    """A fresh mock cluster per test, with the pipeline's topics (4 partitions each)."""
    cluster = start_mock_cluster()
    try:
        yield make_test_bed(cluster, tmp_path)
    finally:
        cluster.close()


def consume_topic(bootstrap: str, topic: str, expected: int, timeout: float = 20.0) -> list[Any]:
    """Read a topic from the beginning (no consumer group) until `expected` records or `timeout`."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, api_version=KAFKA_PYTHON_API_VERSION,
                             enable_auto_commit=False, group_id=None)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while len(records) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
        # a short extra poll catches records beyond `expected` (duplicates, floods)
        for batch in consumer.poll(timeout_ms=300).values():
            records.extend(batch)
        return records
    finally:
        consumer.close()


def committed_total(bootstrap: str, group: str, topic: str) -> int:
    """How many records of `topic` consumer group `group` has committed, summed over partitions."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, api_version=KAFKA_PYTHON_API_VERSION,
                             enable_auto_commit=False, group_id=group)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        return sum(consumer.committed(TopicPartition(topic, p)) or 0 for p in sorted(partitions))
    finally:
        consumer.close()

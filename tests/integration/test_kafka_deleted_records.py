"""A worker whose position the broker deleted says so as an error (the mock broker keeps about 5 MB per
partition and deletes the oldest records beyond that, as a real broker's retention would)."""
from __future__ import annotations

import asyncio
import logging
from typing import Iterator

import pytest

from pipeline.runners.kafka.deleted_records import FETCHER_LOGGER, DeletedRecordsAlarm, watch_deleted_records

pytestmark = pytest.mark.slow


@pytest.fixture
def alarm() -> Iterator[DeletedRecordsAlarm]:
    """The alarm installed on the fetcher logger at WARNING (as commands leave it), removed afterwards."""
    logger = logging.getLogger(FETCHER_LOGGER)
    level = logger.level
    logger.setLevel(logging.WARNING)
    installed = watch_deleted_records()
    try:
        yield installed
    finally:
        logger.removeFilter(installed)
        logger.setLevel(level)


def fetcher_record(msg: str, *args: object, level: int = logging.INFO) -> logging.LogRecord:
    """A record as aiokafka's fetcher would log it."""
    return logging.LogRecord(FETCHER_LOGGER, level, __file__, 1, msg, args, None)


def test_only_the_out_of_range_message_gets_through_and_it_becomes_an_error(alarm: DeletedRecordsAlarm) -> None:
    assert watch_deleted_records() is alarm     # installed once
    assert logging.getLogger(FETCHER_LOGGER).isEnabledFor(logging.INFO)
    chatter = fetcher_record("Updating fetch positions for partitions %s", "t-0")
    assert not alarm.filter(chatter)
    assert alarm.filter(fetcher_record("Unexpected error %s", "x", level=logging.WARNING))
    reset = fetcher_record("Fetch offset %s is out of range for partition %s, resetting offset", 0, "t-0")
    assert alarm.filter(reset)
    assert reset.levelno == logging.ERROR and "no longer exists" in reset.getMessage()
    assert "offset 0 of t-0" in reset.getMessage()


def test_a_consumer_whose_committed_offset_was_deleted_logs_an_error(alarm: DeletedRecordsAlarm,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("confluent_kafka", reason="confluent-kafka (librdkafka's mock cluster) is not installed")
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from kafka import KafkaProducer

    from pipeline.bench.kafka_broker import MockCluster
    from pipeline.runners.kafka.topics import KAFKA_PYTHON_API_VERSION

    with MockCluster(brokers=1) as cluster:
        cluster.create_topic("facts", 1)
        producer = KafkaProducer(bootstrap_servers=cluster.bootstrap, api_version=KAFKA_PYTHON_API_VERSION,
                                 acks="all", linger_ms=5)
        producer.send("facts", b"first", partition=0)
        producer.flush()

        async def consume(commit: bool) -> list[bytes]:
            """Read what there is in group g (committing the position after the first record when asked)."""
            consumer = AIOKafkaConsumer("facts", bootstrap_servers=cluster.bootstrap, group_id="g",
                                        enable_auto_commit=False, auto_offset_reset="earliest")
            await consumer.start()
            try:
                batch = await consumer.getmany(timeout_ms=5000, max_records=1)
                values = [m.value for messages in batch.values() for m in messages]
                if commit:
                    await consumer.commit({TopicPartition("facts", 0): 1})
                return values
            finally:
                await consumer.stop()

        assert asyncio.run(consume(commit=True)) == [b"first"]
        for _ in range(700):          # 7 MB: the broker deletes the oldest records, offset 1 among them
            producer.send("facts", b"x" * 10_000, partition=0)
        producer.flush()
        producer.close()
        with caplog.at_level(logging.INFO, logger=FETCHER_LOGGER):
            asyncio.run(consume(commit=False))
    errors = [r for r in caplog.records if r.name == FETCHER_LOGGER and r.levelno == logging.ERROR]
    assert errors and "no longer exists on the broker" in errors[0].getMessage()
    assert "offset 1 of" in errors[0].getMessage()
    assert not [r for r in caplog.records if r.name == FETCHER_LOGGER and r.levelno < logging.WARNING]

"""The raw batch consumer's own rules, on a scripted stand-in for aiokafka's consumer: batches fill up to their
size, offsets are committed only past handled records of partitions still owned, refused commits and failing
consumers do not stop it. (The real consumer on a real broker: tests/integration/test_kafka_pipeline.py.)"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, KafkaConnectionError

from pipeline.runners.kafka.config import KafkaSettings
from pipeline.runners.kafka.raw_consumer import RawBatchConsumer, RawRecord

TOPIC = "signals.raw"
P0, P1 = TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)


@dataclass
class Message:
    """What aiokafka's getmany hands out, as far as the consumer reads it."""

    key: bytes | None
    value: bytes | None
    offset: int


class ScriptedConsumer:
    """Hands out scripted fetches (a list of {partition: message count}), honouring max_records; then idles."""

    def __init__(self, fetches: list[dict[TopicPartition, int]], assigned: set[TopicPartition] | None = None,
                 refuse_commits: bool = False, fail_start: bool = False) -> None:
        """Serve `fetches` in order to a consumer owning `assigned`."""
        self.fetches = [dict(f) for f in fetches]
        self.assigned = set(assigned if assigned is not None else {P0, P1})
        self.refuse_commits = refuse_commits
        self.fail_start = fail_start
        self.next_offset = {P0: 0, P1: 0}
        self.committed: list[dict[TopicPartition, int]] = []
        self.stopped = False
        self.on_fetch: Any = None       # called after each fetch (to move partitions mid-batch)

    def subscribe(self, topics: list[str], listener: Any = None) -> None:
        """Nothing to do."""

    async def start(self) -> None:
        """Fail when told to."""
        if self.fail_start:
            raise KafkaConnectionError("broker unreachable")

    async def stop(self) -> None:
        """Remember the stop."""
        self.stopped = True

    def assignment(self) -> set[TopicPartition]:
        """The partitions owned now."""
        return set(self.assigned)

    async def getmany(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[TopicPartition, list[Message]]:
        """The next scripted fetch, cut at `max_records` (the rest stays for the next call)."""
        if not self.fetches:
            await asyncio.sleep(timeout_ms / 1000)
            return {}
        fetch, out, room = self.fetches[0], {}, max_records or 10**9
        for tp in list(fetch):
            take = min(fetch[tp], room)
            if take:
                start = self.next_offset[tp]
                out[tp] = [Message(f"k{start + i}".encode(), b"{}", start + i) for i in range(take)]
                self.next_offset[tp] += take
                fetch[tp] -= take
                room -= take
            if not fetch[tp]:
                del fetch[tp]
        if not fetch:
            self.fetches.pop(0)
        if self.on_fetch is not None:
            self.on_fetch(self)
        return out

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        """Record the commit, or refuse it as a group in rebalance would."""
        if self.refuse_commits:
            raise CommitFailedError("the group has rebalanced")
        self.committed.append(dict(offsets))


class ConsumerOnScript(RawBatchConsumer):
    """RawBatchConsumer whose aiokafka consumers are scripted ones, handed out in order."""

    def __init__(self, settings: KafkaSettings, consumers: list[ScriptedConsumer]) -> None:
        """Collect every batch handled."""
        self.batches: list[list[RawRecord]] = []

        async def handle(records: list[RawRecord]) -> None:
            self.batches.append(records)
        super().__init__(settings, handle)
        self.scripted = list(consumers)

    def _new_consumer(self) -> Any:
        """The next scripted consumer."""
        return self.scripted.pop(0)


def settings(**overrides: Any) -> KafkaSettings:
    """Small batches, short waits, no periodic commit within a test."""
    return KafkaSettings(**{"batch_size": 500, "batch_seconds": 0.05, "commit_interval": 3600.0, **overrides})


async def run_until(consumer: RawBatchConsumer, done: Any, limit: float = 5.0) -> None:
    """Run the consumer until `done()` holds (or `limit` seconds), then cancel it as a worker stop does."""
    task = asyncio.ensure_future(consumer.run_forever(first_delay=0.01))
    deadline = asyncio.get_running_loop().time() + limit
    while not done() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_batches_fill_up_to_their_size_across_fetches_and_commit_past_what_was_handled() -> None:
    kafka = ScriptedConsumer([{P0: 300}, {P1: 300}, {P0: 100}])
    consumer = ConsumerOnScript(settings(), [kafka])
    asyncio.run(run_until(consumer, lambda: sum(map(len, consumer.batches)) >= 700))
    assert [len(batch) for batch in consumer.batches] == [500, 200]
    first = consumer.batches[0]
    assert [(r.partition, r.offset) for r in first[:2]] == [(0, 0), (0, 1)] and first[-1].partition == 1
    assert first[0].position == "partition 0 offset 0"
    # committed when the worker stops: past the last handled offset of each partition
    assert kafka.committed == [{P0: 400, P1: 300}] and kafka.stopped


def test_a_batch_does_not_wait_for_more_than_the_batch_time_once_records_arrived() -> None:
    kafka = ScriptedConsumer([{P0: 7}])
    consumer = ConsumerOnScript(settings(batch_seconds=0.05), [kafka])
    asyncio.run(run_until(consumer, lambda: bool(consumer.batches), limit=2.0))
    assert [len(batch) for batch in consumer.batches] == [7]


def test_records_of_a_partition_moved_away_while_fetching_are_left_to_its_new_owner() -> None:
    kafka = ScriptedConsumer([{P0: 10, P1: 10}])

    def lose_p1(scripted: ScriptedConsumer) -> None:
        scripted.assigned.discard(P1)
    kafka.on_fetch = lose_p1
    consumer = ConsumerOnScript(settings(), [kafka])
    asyncio.run(run_until(consumer, lambda: bool(consumer.batches)))
    assert {r.partition for batch in consumer.batches for r in batch} == {0}
    assert kafka.committed == [{P0: 10}]


def test_a_refused_commit_is_logged_and_the_consumer_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    kafka = ScriptedConsumer([{P0: 5}, {P0: 5}], refuse_commits=True)
    consumer = ConsumerOnScript(settings(batch_size=5, commit_interval=0.01), [kafka])
    with caplog.at_level(logging.WARNING, logger="pipeline.runners.kafka.raw_consumer"):
        asyncio.run(run_until(consumer, lambda: len(consumer.batches) >= 2))
    assert [len(batch) for batch in consumer.batches] == [5, 5]
    assert "offsets not committed (CommitFailedError" in caplog.text


def test_a_consumer_that_fails_to_start_is_started_again(caplog: pytest.LogCaptureFixture) -> None:
    broken, working = ScriptedConsumer([], fail_start=True), ScriptedConsumer([{P0: 3}])
    consumer = ConsumerOnScript(settings(), [broken, working])
    with caplog.at_level(logging.ERROR, logger="pipeline.runners.kafka.raw_consumer"):
        asyncio.run(run_until(consumer, lambda: bool(consumer.batches)))
    assert broken.stopped and [len(batch) for batch in consumer.batches] == [3]
    assert "raw consumer stopped (KafkaConnectionError" in caplog.text

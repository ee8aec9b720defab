"""The raw stream's consumer: `signals.raw` fetched in batches with aiokafka's own consumer, in a consumer group
of its own, each batch handled (enriched, produced, stored) before its offsets count as done.

Faust delivers every record on its own (an event, a queue, a stream step and an acknowledgement each), which
cost a worker about a sixth of its CPU on the raw stream; the raw stream needs none of Faust's tables or
co-partitioning, only at-least-once batches. Offsets are committed every `commit_interval`, before this
worker's partitions are revoked, and at a clean stop; a batch whose partition was revoked while it was fetched
is left to the new owner. After a crash the uncommitted batches come again, which every step downstream
absorbs (the sink upserts by id, counting and detection recognise ids they already hold).
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from pipeline.runners.kafka.config import KafkaSettings

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RawRecord:
    """One consumed `signals.raw` record."""

    key: bytes | None
    value: bytes | None
    partition: int
    offset: int

    @property
    def position(self) -> str:
        """Where the record sits in the topic, for dead letters."""
        return f"partition {self.partition} offset {self.offset}"


BatchHandler = Callable[[list[RawRecord]], Awaitable[None]]


class PatientRoundRobin(RoundRobinPartitionAssignor):
    """aiokafka's round-robin assignor that pauses the group leader before a multi-member assignment, as
    pipeline.runners.kafka.assignor does for Faust's group (librdkafka's mock cluster refuses a follower whose
    SyncGroup comes after the leader's)."""

    delay = 0.0

    @classmethod
    def assign(cls, cluster: Any, member_metadata: Any) -> Any:
        """The round-robin assignment, after `delay` seconds when other members must sync first."""
        if cls.delay > 0 and len(member_metadata) > 1:
            log.info("raw group leader: waiting %.2f s for %d followers to sync", cls.delay, len(member_metadata) - 1)
            time.sleep(cls.delay)
        return super().assign(cluster, member_metadata)


def patient_assignor(delay: float) -> type[RoundRobinPartitionAssignor]:
    """The round-robin assignor, pausing `delay` seconds as leader (the plain one when `delay` is 0)."""
    if delay <= 0:
        return RoundRobinPartitionAssignor
    return type("PatientRoundRobin", (PatientRoundRobin,), {"delay": delay})


class _CommitOnRevoke(ConsumerRebalanceListener):
    """Commits what was handled before partitions move, and reports new assignments."""

    def __init__(self, owner: "RawBatchConsumer") -> None:
        """Serve `owner`."""
        self.owner = owner

    async def on_partitions_revoked(self, revoked: Any) -> None:
        """Wait for the batch in hand, then commit its offsets while the partitions are still ours."""
        async with self.owner.lock:
            await self.owner.commit()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        """Tell the owner's listener (the progress file) about the new assignment."""
        self.owner.on_assigned()


class RawBatchConsumer:
    """Consumes `signals.raw` in batches of up to `batch_size` and hands each to `handle`, committing after."""

    def __init__(self, settings: KafkaSettings, handle: BatchHandler,
                 on_assigned: Callable[[], None] = lambda: None) -> None:
        """Read `settings.topic_raw` in the group `settings.raw_group`."""
        self.settings = settings
        self.handle = handle
        self.on_assigned = on_assigned
        self.lock = asyncio.Lock()
        self.pending: dict[TopicPartition, int] = {}
        self.consumer: AIOKafkaConsumer | None = None
        self._committed_at = time.monotonic()

    def assignment(self) -> list[tuple[str, int]]:
        """(topic, partition) pairs this consumer owns now."""
        consumer = self.consumer
        if consumer is None:
            return []
        return [(tp.topic, tp.partition) for tp in consumer.assignment()]

    def _new_consumer(self) -> AIOKafkaConsumer:
        """An aiokafka consumer of the raw topic that commits only when told."""
        s = self.settings
        instance = f"{s.group_instance_id}-raw" if s.group_instance_id else None
        return AIOKafkaConsumer(
            bootstrap_servers=s.bootstrap_servers, group_id=s.raw_group, client_id=f"{s.app_id}-raw",
            enable_auto_commit=False, auto_offset_reset="earliest", max_poll_records=s.batch_size,
            fetch_max_wait_ms=s.fetch_max_wait_ms, session_timeout_ms=int(s.session_timeout * 1000),
            heartbeat_interval_ms=int(min(s.heartbeat_interval, s.session_timeout / 3) * 1000),
            request_timeout_ms=int(max(90.0, s.session_timeout * 2) * 1000), group_instance_id=instance,
            partition_assignment_strategy=(patient_assignor(s.leader_sync_delay),))

    async def _next_batch(self, consumer: AIOKafkaConsumer) -> dict[TopicPartition, list[Any]]:
        """Records per partition, in offset order: up to `batch_size`, waiting at most `batch_seconds` after the
        first one for the batch to fill (small batches cost more per signal), or `batch_seconds` for a first one
        (so commits still happen when the topic is quiet)."""
        size, wait = self.settings.batch_size, self.settings.batch_seconds
        batch: dict[TopicPartition, list[Any]] = {}
        count, deadline = 0, time.monotonic() + wait
        while count < size:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            fetched = await consumer.getmany(timeout_ms=int(left * 1000), max_records=size - count)
            got = sum(len(messages) for messages in fetched.values())
            if got and not count:
                deadline = time.monotonic() + wait     # the first records: the batch may fill until then
            for tp, messages in fetched.items():
                batch.setdefault(tp, []).extend(messages)
            count += got
        return batch

    async def commit(self) -> None:
        """Commit the offsets past every handled record of partitions still owned; a commit the group refuses
        (a rebalance moved them) leaves those records to their new owner."""
        consumer, pending = self.consumer, self.pending
        self._committed_at = time.monotonic()
        if consumer is None or not pending:
            return
        owned = consumer.assignment()
        offsets = {tp: offset for tp, offset in pending.items() if tp in owned}
        pending.clear()
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as err:
            log.warning("raw consumer: offsets not committed (%s: the partitions moved); their next owner reads "
                        "the records since the last commit again", type(err).__name__)
        except KafkaError as err:
            log.error("raw consumer: committing offsets failed (%s: %s); they are committed with the next batch",
                      type(err).__name__, err)
            for tp, offset in offsets.items():
                self.pending[tp] = max(offset, self.pending.get(tp, 0))

    async def run_forever(self, first_delay: float = 1.0, max_delay: float = 30.0) -> None:
        """run() until cancelled, starting a new consumer (after a growing pause) whenever one fails."""
        delay = first_delay
        while True:
            started = time.monotonic()
            try:
                await self.run()
                return
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - a worker that stops reading raw signals must say so and retry
                log.error("raw consumer stopped (%s: %s); starting it again in %.0f s", type(err).__name__, err, delay)
            delay = first_delay if time.monotonic() - started > max_delay else min(delay * 2, max_delay)
            await asyncio.sleep(delay)

    async def run(self) -> None:
        """Fetch, handle and commit until cancelled; commit what was handled when stopping."""
        consumer = self.consumer = self._new_consumer()
        consumer.subscribe([self.settings.topic_raw], listener=_CommitOnRevoke(self))
        try:
            await consumer.start()
            log.info("raw consumer: reading %s in group %s", self.settings.topic_raw, self.settings.raw_group)
            while True:
                fetched = await self._next_batch(consumer)
                async with self.lock:
                    owned = consumer.assignment()     # a rebalance may have moved partitions while fetching
                    records = [RawRecord(m.key, m.value, tp.partition, m.offset)
                               for tp, messages in fetched.items() if tp in owned for m in messages]
                    if records:
                        await self.handle(records)
                        for tp, messages in fetched.items():
                            if tp in owned and messages:
                                self.pending[tp] = messages[-1].offset + 1
                    if time.monotonic() - self._committed_at >= self.settings.commit_interval:
                        await self.commit()
        finally:
            try:
                async with self.lock:
                    await self.commit()
            finally:
                await consumer.stop()

"""Send a batch of records to one topic as one Kafka record batch per partition, then wait for the acks.

Faust's `Topic.send` costs a future, a callback and an accumulator lookup per record; for the enrich
agent's hundreds of enriched signals per batch, aiokafka's batch API (`create_batch` / `send_batch`)
builds one record batch per partition instead. Keys are placed with the same partitioner Faust and
the Java client use (murmur2 of the key), so consumers see the usual key -> partition mapping.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Sequence

from aiokafka.partitioner import DefaultPartitioner

log = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0

Record = tuple[bytes | None, bytes | None]


def split_by_partition(records: Sequence[Record], partitions: list[int],
                       partitioner: Callable[[bytes | None, list[int], list[int]], int]) -> dict[int, list[Record]]:
    """Group (key, value) records by the partition their key hashes to, keeping their order."""
    groups: dict[int, list[Record]] = {}
    for record in records:
        groups.setdefault(partitioner(record[0], partitions, partitions), []).append(record)
    return groups


class BatchSender:
    """Sends records with an aiokafka producer in per-partition batches and waits until the broker has them."""

    def __init__(self, producer: Callable[[], Any], partitioner: Any = None) -> None:
        """`producer` returns the started aiokafka producer (Faust's, once the app runs)."""
        self._producer = producer
        self._partitioner = partitioner or DefaultPartitioner()

    async def _submit(self, producer: Any, topic: str, partition: int, records: list[Record]) -> list[Any]:
        """Queue `records` for one partition as one or more batches; return their delivery futures."""
        futures = []
        batch = producer.create_batch()
        for key, value in records:
            if batch.append(key=key, value=value, timestamp=None) is None:
                if batch.record_count() == 0:
                    raise ValueError(f"a record of {len(value or b'')} bytes does not fit in a producer batch")
                futures.append(await self._queue(producer, batch, topic, partition))
                batch = producer.create_batch()
                if batch.append(key=key, value=value, timestamp=None) is None:
                    raise ValueError(f"a record of {len(value or b'')} bytes does not fit in a producer batch")
        if batch.record_count():
            futures.append(await self._queue(producer, batch, topic, partition))
        return futures

    @staticmethod
    async def _queue(producer: Any, batch: Any, topic: str, partition: int) -> Any:
        """Close the batch (complete: no linger, nothing else added to it) and hand it to the producer."""
        batch.close()
        return await producer.send_batch(batch, topic, partition=partition)

    async def send(self, topic: str, records: Sequence[Record], partition: int | None = None,
                   placed: Sequence[int] | None = None) -> None:
        """Deliver every record to `topic` (to `partition` when given; else to `placed[i]` for records[i] when
        given and the topic has that partition, as for a topic partitioned like the one the records were read
        from; else where its key hashes to); a partition whose delivery fails is sent again, whole, after a
        pause (a broker outage pauses the caller instead of losing records; a record may then appear twice,
        which consumers absorb by upserting on the id)."""
        if not records:
            return
        producer = self._producer()
        if partition is not None:
            pending = {partition: list(records)}
        else:
            partitions = sorted(await producer.partitions_for(topic))
            if placed is not None and len(placed) == len(records) and all(p in partitions for p in set(placed)):
                pending = {}
                for record, at in zip(records, placed):
                    pending.setdefault(at, []).append(record)
            else:
                pending = split_by_partition(records, partitions, self._partitioner)
        delay = RETRY_FIRST_SECONDS
        while pending:
            submitted = [(partition, await self._submit(producer, topic, partition, group))
                         for partition, group in pending.items()]
            failed: dict[int, list[Record]] = {}
            for partition, futures in submitted:
                results = await asyncio.gather(*futures, return_exceptions=True)
                errors = [r for r in results if isinstance(r, BaseException)]
                if errors:
                    log.error("sending %d records to %s[%d] failed (%s: %s); retrying in %.1f s",
                              len(pending[partition]), topic, partition, type(errors[0]).__name__, errors[0], delay)
                    failed[partition] = pending[partition]
            pending = failed
            if pending:
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)

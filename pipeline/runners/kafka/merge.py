"""Merge detector facts from the raw partitions in event-time order, so the spike detector sees the same
stream whatever the pace of each worker (a partition held up by a failover does not make the others'
facts overtake it and its own facts arrive too late).

Facts wait until every raw partition has shown a later event time (the watermark: the least of the
partitions' newest times). A partition that sent nothing for `idle_seconds` no longer holds the others back.
"""
from __future__ import annotations

import heapq
import time
from typing import Any, Callable

from pipeline.runners.kafka.codec import event_time


class PartitionMerge:
    """Buffers facts per raw partition and releases, in event-time order, those at or below the watermark."""

    def __init__(self, partitions: int, idle_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        """Merge `partitions` raw partitions; one silent for `idle_seconds` stops holding the watermark."""
        self.partitions = partitions
        self.idle_seconds = idle_seconds
        self.clock = clock
        self.started = clock()
        self.newest: dict[int, float] = {}
        self.heard: dict[int, float] = {}
        self.waiting: list[tuple[float, int, dict[str, Any]]] = []
        self._seq = 0

    def add(self, partition: int, facts: list[dict[str, Any]]) -> float:
        """Buffer a record's facts from raw `partition`; returns the newest event time among them (-inf if none)."""
        newest = float("-inf")
        for fact in facts:
            ts = event_time(fact.get("created_at"))
            if ts is None:
                ts = float("-inf")     # the detector rejects it with the reason; release it at once
            newest = max(newest, ts)
            self._seq += 1
            heapq.heappush(self.waiting, (ts, self._seq, fact))
        if newest > self.newest.get(partition, float("-inf")):
            self.newest[partition] = newest
        self.heard[partition] = self.clock()
        return newest

    def watermark(self) -> float:
        """The event time up to which no partition can still send facts (inf when all are idle)."""
        now = self.clock()
        holding = []
        for partition in range(self.partitions):
            heard = self.heard.get(partition)
            if heard is None:
                if now - self.started < self.idle_seconds:
                    return float("-inf")   # not heard from yet: wait for it a while
                continue
            if now - heard < self.idle_seconds:
                holding.append(self.newest.get(partition, float("-inf")))
        return min(holding) if holding else float("inf")

    def release(self) -> tuple[list[dict[str, Any]], float]:
        """The buffered facts at or below the watermark, oldest first, and the watermark."""
        mark = self.watermark()
        out = []
        while self.waiting and self.waiting[0][0] <= mark:
            out.append(heapq.heappop(self.waiting)[2])
        return out, mark

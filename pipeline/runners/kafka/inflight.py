"""Batches whose Kafka deliveries are still on their way: the agent goes on with the next batch meanwhile.

A batch's records are acknowledged (so their offsets may be committed) only once every delivery of the batch
succeeded; a delivery that failed for good is raised in the agent at its next check, and its records stay
unacknowledged (delivered again after a restart). At most `limit` batches are in flight at once.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Sequence

log = logging.getLogger(__name__)


class InFlight:
    """Delivery tasks per batch, acknowledging each batch's events once all its deliveries are done."""

    def __init__(self, ack: Callable[[Any], Awaitable[Any]], limit: int = 3) -> None:
        """`ack(event)` acknowledges one event (Faust's `Stream.ack`); `limit`: batches in flight at once."""
        self._ack = ack
        self.limit = limit
        self._batches: set[asyncio.Task[None]] = set()
        self._failure: BaseException | None = None

    def __len__(self) -> int:
        """Batches still in flight."""
        return len(self._batches)

    def add(self, events: Sequence[Any], deliveries: list[asyncio.Future[Any]],
            on_done: Callable[[], None] | None = None) -> asyncio.Task[None]:
        """Track a batch: once all `deliveries` succeeded, acknowledge `events` and call `on_done`."""
        task = asyncio.ensure_future(self._finish(list(events), deliveries, on_done))
        self._batches.add(task)
        task.add_done_callback(self._forget)
        return task

    async def _finish(self, events: list[Any], deliveries: list[asyncio.Future[Any]],
                      on_done: Callable[[], None] | None) -> None:
        """Wait for the deliveries (cancelling the rest when one fails), then acknowledge the events."""
        try:
            await asyncio.gather(*deliveries)
        except BaseException:
            for delivery in deliveries:
                if not delivery.done():
                    delivery.cancel()
            raise
        for event in events:
            await self._ack(event)
        if on_done is not None:
            on_done()

    def _forget(self, task: asyncio.Task[None]) -> None:
        """Drop a finished batch; keep its failure to raise in the agent (a cancellation is no failure)."""
        self._batches.discard(task)
        if not task.cancelled() and task.exception() is not None and self._failure is None:
            self._failure = task.exception()

    def check(self) -> None:
        """Raise the first delivery failure seen."""
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    async def wait_below(self, limit: int | None = None) -> None:
        """Wait until fewer than `limit` (default: the limit) batches are in flight; raise a failure."""
        limit = self.limit if limit is None else limit
        while len(self._batches) >= max(limit, 1):
            await asyncio.wait(set(self._batches), return_when=asyncio.FIRST_COMPLETED)
        self.check()

    async def drain(self) -> None:
        """Wait for every batch in flight; raise a failure."""
        while self._batches:
            await asyncio.wait(set(self._batches))
        self.check()

    def cancel(self) -> None:
        """Give up on the batches in flight (their events stay unacknowledged)."""
        for task in list(self._batches):
            task.cancel()


async def after(previous: asyncio.Future[Any] | None, delivery: Callable[[], Awaitable[None]]) -> None:
    """Run `delivery` once `previous` finished (keeps one topic's batches in order across batches); when
    `previous` failed, fail too without sending."""
    if previous is not None:
        await asyncio.wait([previous])
        if previous.cancelled():
            raise asyncio.CancelledError("the previous delivery was cancelled")
        if previous.exception() is not None:
            raise RuntimeError("the previous delivery failed") from previous.exception()
    await delivery()

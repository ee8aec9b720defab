"""Run a coroutine by hand up to its first wait, and carry it on as a task only if it does wait.

Faust's consumer hands every fetched message to the streams as `wait_first(deliver(message),
suspend_flow.wait())`: four tasks, an `asyncio.wait` and three cancellations per message, so that a
rebalance can abandon a delivery stuck on a full stream buffer. Nearly every delivery finishes without
waiting at all; `step` finishes those inline, and `carry_on` continues the rare one that waits.
"""
from __future__ import annotations

import contextvars
import types
from typing import Any, Coroutine, Generator


def step(coro: Coroutine[Any, Any, Any], context: contextvars.Context) -> tuple[bool, Any]:
    """Run `coro` in `context` until it returns or first waits: (True, None) when it returned, else (False,
    what it waits on). Its exceptions propagate."""
    try:
        waiting_on = context.run(coro.send, None)
    except StopIteration:
        return True, None
    return False, waiting_on


@types.coroutine
def _resume(coro: Coroutine[Any, Any, Any], waiting_on: Any) -> Generator[Any, Any, Any]:
    """Drive `coro`, which was stepped by hand and now waits on `waiting_on`, to its end for the task that
    runs this: what the task sends or throws in goes to `coro`."""
    while True:
        try:
            received = yield waiting_on
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # noqa: BLE001 - a cancellation or error thrown in by the task: pass it on
            try:
                waiting_on = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
            continue
        try:
            waiting_on = coro.send(received)
        except StopIteration as stop:
            return stop.value


async def carry_on(coro: Coroutine[Any, Any, Any], waiting_on: Any) -> Any:
    """The rest of a coroutine that `step` left waiting on `waiting_on`, as a coroutine for a task."""
    return await _resume(coro, waiting_on)

"""A Faust app whose Kafka consumer waits less on empty partitions and hands messages on without tasks.

Faust fixes aiokafka's `fetch_max_wait_ms` at 1500 ms. aiokafka keeps one fetch in flight per broker,
so a fetch that only asks for idle partitions (the leader topic, a caught-up topic) holds back the
busy ones for up to that long; a broker that does not answer early on new data (librdkafka's mock
cluster) then caps throughput at a few hundred records per second. Here the wait is configurable.
"""
from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import aiokafka
import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TransportT
from mode.services import WaitResults

from pipeline.runners.kafka.inline import carry_on, step

DEFAULT_FETCH_MAX_WAIT_MS = 100


class TunedConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's consumer thread with the app's `fetch_max_wait_ms` applied to the worker consumer."""

    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        """Faust's worker consumer with the app's fetch wait."""
        consumer = super()._create_worker_consumer(transport)
        # aiokafka hands this value to its Fetcher when the consumer starts, which happens after this.
        consumer._fetch_max_wait_ms = int(getattr(self.app, "fetch_max_wait_ms", DEFAULT_FETCH_MAX_WAIT_MS))
        return consumer


class TunedConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer using TunedConsumerThread, delivering messages without per-message tasks
    when the delivery does not have to wait (pipeline.runners.kafka.inline)."""

    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        """The tuned consumer thread."""
        return TunedConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def wait_first(self, *coros: Any, timeout: Any = None) -> WaitResults:
        """Faust's wait_first; a message delivery raced against the flow being suspended (the only call with
        two coroutines and no timeout) runs inline up to its first wait, and only then as a task in the race."""
        if len(coros) != 2 or timeout is not None or not asyncio.iscoroutine(coros[0]) or self.suspend_flow.is_set():
            return await super().wait_first(*coros, timeout=timeout)
        delivery, suspended = coros
        context = contextvars.copy_context()
        finished, waiting_on = step(delivery, context)
        if finished:
            if asyncio.iscoroutine(suspended):
                suspended.close()
            return WaitResults([delivery], [None], False)
        rest = self.loop.create_task(carry_on(delivery, waiting_on), context=context)
        return await super().wait_first(rest, suspended)


class RawSchema(faust.Schema):
    """Keys and values as the bytes Kafka delivered: each message becomes an event without a pass through
    Faust's serializer registry (what the "raw" serializer would return anyway)."""

    def __init__(self) -> None:
        """Raw keys and values."""
        super().__init__(key_serializer="raw", value_serializer="raw")

    def compile(self, app: Any, *, on_key_decode_error: Any = None, on_value_decode_error: Any = None,
                default_propagate: bool = False) -> Any:
        """A decode function that hands the message's bytes on as they are."""
        create_event = app.create_event

        async def decode(message: Any, *, propagate: bool = default_propagate) -> Any:
            return create_event(message.key, message.value, message.headers, message)

        return decode


class TunedTransport(faust_aiokafka.Transport):
    """Faust's aiokafka transport using TunedConsumer."""

    Consumer = TunedConsumer


class StadsApp(faust.App):
    """faust.App with a configurable consumer fetch wait (see the module docstring), the leader's
    pause before assigning partitions (pipeline.runners.kafka.assignor) and a lean monitor."""

    def __init__(self, *args: Any, fetch_max_wait_ms: int = DEFAULT_FETCH_MAX_WAIT_MS,
                 leader_sync_delay: float = 0.0, **kwargs: Any) -> None:
        """A faust.App; `fetch_max_wait_ms` and `leader_sync_delay` are this subclass's own."""
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.leader_sync_delay = leader_sync_delay
        kwargs.setdefault("PartitionAssignor", "pipeline.runners.kafka.assignor:PatientAssignor")
        kwargs.setdefault("Monitor", "pipeline.runners.kafka.monitor:LeanMonitor")
        super().__init__(*args, **kwargs)

    def _new_transport(self) -> TransportT:
        """The tuned aiokafka transport for the broker URL."""
        return TunedTransport(self.conf.broker_consumer, self)

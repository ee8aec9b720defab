"""The sink agents: signals.enriched (only with sink_in_enrich=false) and signals.alerts in batches -> the
configured sink, through the sink contract (pipeline.sinks.base).

A batch is acknowledged only after the sink stored it, so a crash re-delivers it; sinks upsert on the signal
id and the alert id, so re-delivery (and an alert event raised again after a failover) leaves each signal and
each alert exactly once in the store.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

from pipeline.alerts.model import Alert, AlertEvent, parse_iso
from pipeline.core.signal import DeadLetter
from pipeline.runners.kafka.batch_send import BatchSender
from pipeline.runners.kafka.codec import dead_letter_value, decode_doc
from pipeline.runners.kafka.progress import WorkerProgress
from pipeline.runners.kafka.transport import RawSchema
from pipeline.sinks.base import Sink, SinkBatch, fingerprinted

log = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0

Decoded = tuple[list[Any], list[DeadLetter]]


def decode_batch(values: list[tuple[bytes | None, str]], source: str, key: str = "id") -> Decoded:
    """Parse (value, position) pairs into JSON objects that have `key`; unreadable ones become dead letters."""
    docs: list[dict[str, Any]] = []
    dead: list[DeadLetter] = []
    for value, position in values:
        try:
            docs.append(decode_doc(value, key))
        except ValueError as err:
            dead.append(fingerprinted(source, position, str(err), value))
    return docs, dead


def alert_event(payload: dict[str, Any]) -> AlertEvent:
    """An AlertEvent from its JSON form; raises ValueError/KeyError/TypeError when it is not one."""
    at = parse_iso(payload["at"])
    if at is None:
        raise ValueError("alert event without a time")
    return AlertEvent(kind=str(payload["kind"]), alert=Alert.from_dict(payload["alert"]), at=at)


def decode_alerts(values: list[tuple[bytes | None, str]], source: str) -> Decoded:
    """Alert events from (value, position) pairs, the last event per alert id only; the rest dead letters."""
    dead: list[DeadLetter] = []
    latest: dict[str, AlertEvent] = {}
    for value, position in values:
        try:
            event = alert_event(decode_doc(value, "kind"))
        except (KeyError, TypeError, ValueError) as err:
            dead.append(fingerprinted(source, position, f"not an alert event: {err}", value))
            continue
        latest.pop(event.alert.id, None)
        latest[event.alert.id] = event
    return list(latest.values()), dead


async def write_with_retry(sink: Sink, batch: SinkBatch) -> list[DeadLetter]:
    """Write until the sink accepts the batch, backing off between failures (a sink outage pauses the agent).

    Blocking (network) sinks are called in a thread; local ones on the event loop.
    """
    delay = RETRY_FIRST_SECONDS
    while True:
        try:
            return await asyncio.to_thread(sink.write, batch) if sink.blocking else sink.write(batch)
        except Exception as err:  # noqa: BLE001 - any sink failure is retried, never dropped
            log.error("sink %s failed (%s: %s); retrying the batch of %d in %.1f s",
                      sink.name, type(err).__name__, err, len(batch.docs) + len(batch.alerts), delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)


def _register_store_agent(app: Any, settings: Any, topic_name: str, agent_name: str,
                          decode: Callable[[list[tuple[bytes | None, str]], str], Decoded],
                          batch_of: Callable[[list[Any], list[DeadLetter]], SinkBatch], sink: Sink,
                          progress: WorkerProgress, count: Callable[[int, int, int], dict[str, int]]) -> Any:
    """Define an agent on `app` that decodes batches from `topic_name`, writes them to the sink (retried until
    accepted, unreadable records as dead letters with them), sends what is unreadable or refused to the
    dead-letter topic, and adds count(items, refused, unreadable) to the progress counters."""
    topic = app.topic(topic_name, schema=RawSchema(), partitions=settings.partitions)
    source = f"kafka:{topic_name}"
    sender = BatchSender(lambda: app.producer._ensure_producer())

    async def store(stream: Any) -> None:
        """Write the topic's records to the sink in batches."""
        async for events in stream.take_events(settings.batch_size, within=settings.batch_seconds):
            pairs = [(e.message.value, f"partition {e.message.partition} offset {e.message.offset}") for e in events]
            items, unreadable = decode(pairs, source)
            refused = await write_with_retry(sink, batch_of(items, unreadable))
            if refused:
                await write_with_retry(sink, SinkBatch(dead=refused))
            for letter in unreadable + refused:
                log.warning("%s dead letter at %s: %s", agent_name, letter.position, letter.reason)
            await sender.send(settings.topic_deadletter, [(None, dead_letter_value(d)) for d in unreadable + refused])
            progress.add(**count(len(items), len(refused), len(unreadable)))

    return app.agent(topic, name=agent_name)(store)


def register_sink_agent(app: Any, settings: Any, sink: Sink, progress: WorkerProgress) -> Any:
    """Define the sink agent (signals.enriched -> the sink) on `app` (a faust.App) and return it."""
    return _register_store_agent(
        app, settings, settings.topic_enriched, "sink", decode_batch,
        lambda docs, dead: SinkBatch(docs=docs, dead=dead), sink, progress,
        lambda items, refused, unreadable: {"stored": items - refused, "sink_dead": unreadable + refused})


def register_alert_sink_agent(app: Any, settings: Any, sink: Sink, progress: WorkerProgress) -> Any:
    """Define the agent that upserts alert events from signals.alerts in the sink (per alert id, so
    re-delivery and alerts raised again after a failover are harmless); return it."""
    return _register_store_agent(
        app, settings, settings.topic_alerts, "alert-sink", decode_alerts,
        lambda events, dead: SinkBatch(alerts=events, dead=dead), sink, progress,
        lambda items, refused, unreadable: {"alerts_stored": items - refused})

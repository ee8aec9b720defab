"""The sink agents: signals.enriched (and signals.alerts) in batches -> the configured sink (SQLite or
Elasticsearch).

A batch is acknowledged only after the sink stored it, so a crash re-delivers it; the sinks upsert on
the signal id, so re-delivery leaves every signal exactly once in the sink.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

from pipeline.runners.kafka.codec import dead_letter_value, decode_doc
from pipeline.runners.kafka.progress import WorkerProgress
from pipeline.runners.kafka.sinks import BatchSink
from pipeline.core.signal import DeadLetter

log = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0


def decode_batch(values: list[tuple[bytes | None, str]], source: str, key: str = "id"
                 ) -> tuple[list[dict[str, Any]], list[DeadLetter]]:
    """Parse (value, position) pairs into JSON objects that have `key`; unreadable ones become dead letters."""
    docs: list[dict[str, Any]] = []
    dead: list[DeadLetter] = []
    for value, position in values:
        try:
            docs.append(decode_doc(value, key))
        except ValueError as err:
            dead.append(DeadLetter.of(source, position, str(err), value or b""))
    return docs, dead


async def write_with_retry(write: Callable[[list[dict[str, Any]]], list[DeadLetter]], docs: list[dict[str, Any]],
                           sink_name: str, in_thread: bool = True) -> list[DeadLetter]:
    """Write until the sink accepts the batch, backing off between failures (a sink outage pauses the agent).

    `in_thread`: run each attempt in a worker thread (network sinks) rather than on the event loop.
    """
    delay = RETRY_FIRST_SECONDS
    while True:
        try:
            return await asyncio.to_thread(write, docs) if in_thread else write(docs)
        except Exception as err:  # noqa: BLE001 - any sink failure is retried, never dropped
            log.error("sink %s failed (%s: %s); retrying the batch of %d in %.1f s",
                      sink_name, type(err).__name__, err, len(docs), delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)


def _register_store_agent(app: Any, settings: Any, topic_name: str, agent_name: str, key: str,
                          write: Callable[[list[dict[str, Any]]], list[DeadLetter]], sink: BatchSink,
                          progress: WorkerProgress, count: Callable[[int, int, int], dict[str, int]]) -> Any:
    """Define an agent on `app` that decodes batches of JSON objects with `key` from `topic_name`, writes them
    with `write` (retried until accepted), sends what is unreadable or refused to the dead-letter topic, and
    adds count(items, refused, unreadable) to the progress counters."""
    topic = app.topic(topic_name, key_serializer="raw", value_serializer="raw", partitions=settings.partitions)
    dead_topic = app.topic(settings.topic_deadletter, key_serializer="raw", value_serializer="raw",
                           partitions=settings.partitions)
    source = f"kafka:{topic_name}"

    async def store(stream: Any) -> None:
        """Write the topic's records to the sink in batches."""
        async for events in stream.take_events(settings.batch_size, within=settings.batch_seconds):
            pairs = [(e.message.value, f"partition {e.message.partition} offset {e.message.offset}") for e in events]
            items, unreadable = decode_batch(pairs, source, key=key)
            refused = (await write_with_retry(write, items, sink.name, getattr(sink, "in_thread", True))
                       if items else [])
            for letter in unreadable + refused:
                log.warning("%s dead letter at %s: %s", agent_name, letter.position, letter.reason)
                await dead_topic.send(key=None, value=dead_letter_value(letter))
            progress.add(**count(len(items), len(refused), len(unreadable)))

    return app.agent(topic, name=agent_name)(store)


def register_sink_agent(app: Any, settings: Any, sink: BatchSink, progress: WorkerProgress) -> Any:
    """Define the sink agent (signals.enriched -> the sink) on `app` (a faust.App) and return it."""
    return _register_store_agent(
        app, settings, settings.topic_enriched, "sink", "id", sink.write_batch, sink, progress,
        lambda items, refused, unreadable: {"stored": items - refused, "sink_dead": unreadable + refused})


def register_alert_sink_agent(app: Any, settings: Any, sink: BatchSink, progress: WorkerProgress) -> Any:
    """Define the agent that upserts alert events from signals.alerts in the sink (per alert id, so
    re-delivery is harmless); return it."""
    return _register_store_agent(
        app, settings, settings.topic_alerts, "alert-sink", "kind", sink.write_alerts, sink, progress,
        lambda items, refused, unreadable: {"alerts_stored": items - refused})

"""The enrich agent: signals.raw in batches -> decode, validate, enrich (the core) -> signals.enriched.

Bad records go to signals.deadletter with the reason. The batch's enriched signals are also sent, in
compact form and a few records per batch, to the internal facts topic that feeds the counts agent.
Sends are queued before the batch is acknowledged and Faust flushes the producer before it commits
offsets: at-least-once delivery.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Iterable

from pipeline.distributed.codec import dead_letter_value, decode_signal, encode_key, fact_records, to_json_bytes
from pipeline.distributed.progress import WorkerProgress
from pipeline.runner import BatchEnricher, enrich_batch
from pipeline.signal import InvalidSignal, RawSignal
from pipeline.sources.base import DeadLetter

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


@dataclass(slots=True)
class EnrichOutcome:
    """Enriched documents and dead letters of one batch."""

    docs: list[dict[str, Any]] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)


def enrich_records(records: Iterable[RawRecord], enricher: BatchEnricher, source: str,
                   max_text_chars: int) -> EnrichOutcome:
    """Decode and validate each record, enrich the valid ones in one call; never raises for bad input."""
    outcome = EnrichOutcome()
    signals: list[RawSignal] = []
    for record in records:
        try:
            signals.append(decode_signal(record.value, max_text_chars))
        except InvalidSignal as err:
            outcome.dead.append(DeadLetter.of(source, record.position, err.reason, record.value or b""))
    if signals:
        docs, failed = enrich_batch(enricher, signals, source)
        outcome.docs = docs
        outcome.dead.extend(failed)
    return outcome


def register_enrich_agent(app: Any, settings: Any, enricher: BatchEnricher, max_text_chars: int,
                          fact_key: str, progress: WorkerProgress) -> Any:
    """Define the enrich agent on `app` (a faust.App) and return it."""
    raw_topic = app.topic(settings.topic_raw, key_serializer="raw", value_serializer="raw",
                          partitions=settings.partitions)
    enriched_topic = app.topic(settings.topic_enriched, key_serializer="raw", value_serializer="raw",
                               partitions=settings.partitions)
    dead_topic = app.topic(settings.topic_deadletter, key_serializer="raw", value_serializer="raw",
                           partitions=settings.partitions)
    facts_topic = app.topic(settings.facts_topic, key_serializer="raw", value_serializer="raw",
                            partitions=settings.partitions)
    source = f"kafka:{settings.topic_raw}"
    fact_key_bytes = encode_key(fact_key)

    async def enrich(stream: Any) -> None:
        """Consume raw signals in batches and produce enriched signals, facts and dead letters."""
        async for events in stream.take_events(settings.batch_size, within=settings.batch_seconds):
            records = [RawRecord(e.message.key, e.message.value, e.message.partition, e.message.offset)
                       for e in events]
            try:
                outcome = enrich_records(records, enricher, source, max_text_chars)
            except Exception:  # noqa: BLE001 - the batch would be acknowledged anyway; keep it visible
                log.exception("enrich agent: unexpected failure; sending the batch to the dead letters")
                outcome = EnrichOutcome(dead=[DeadLetter.of(source, r.position, "unexpected enrichment failure",
                                                            r.value or b"") for r in records])
            for doc in outcome.docs:
                await enriched_topic.send(key=encode_key(doc["id"]), value=to_json_bytes(doc))
            for record in fact_records(outcome.docs):
                await facts_topic.send(key=fact_key_bytes, value=record)
            for letter in outcome.dead:
                log.warning("dead letter at %s: %s", letter.position, letter.reason)
                await dead_topic.send(key=None, value=dead_letter_value(letter))
            progress.add(enriched=len(outcome.docs), dead=len(outcome.dead))

    return app.agent(raw_topic, name="enrich")(enrich)

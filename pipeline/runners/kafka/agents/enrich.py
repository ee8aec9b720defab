"""The enrich step: signals.raw in batches (pipeline.runners.kafka.raw_consumer) -> decode, validate, enrich (the
core) -> signals.enriched.

Bad records become dead letters (reason, byte length and sha256 of the raw record; never its content),
sent to signals.deadletter and stored by the sink. The batch's signals also go, compactly, to two
internal topics: counting facts keyed by topic code and by channel (spread over partitions), and detector
facts keyed by municipality (one row per signal). Every record goes out as one Kafka record batch per partition
(pipeline.runners.kafka.batch_send); with `sink_in_enrich` the agent also writes the batch to the sink.
The batch's offsets are committed only after the broker acknowledged all of it and the sink stored it:
at-least-once delivery, exactly once in the sink; the counts agent makes counting idempotent.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Iterable

from pipeline.core.signal import DeadLetter, InvalidSignal, RawSignal
from pipeline.enrich.batch import BatchEnricher, enrich_batch
from pipeline.runners.kafka.agents.sink import write_with_retry
from pipeline.runners.kafka.batch_send import BatchSender
from pipeline.runners.kafka.codec import (
    count_records,
    dead_letter_value,
    decode_signal,
    detect_records,
    encode_key,
    event_times,
    to_json_text,
)
from pipeline.runners.kafka.progress import WorkerProgress
from pipeline.runners.kafka.raw_consumer import RawBatchConsumer, RawRecord
from pipeline.sinks.base import Sink, SinkBatch, fingerprinted

log = logging.getLogger(__name__)


@dataclass(slots=True)
class EnrichOutcome:
    """Enriched documents and dead letters of one batch."""

    docs: list[dict[str, Any]] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    partitions: list[int] = field(default_factory=list)   # the raw partition each doc was read from


def enrich_records(records: Iterable[RawRecord], enricher: BatchEnricher, source: str,
                   max_text_chars: int) -> EnrichOutcome:
    """Decode and validate each record, enrich the valid ones in one call; never raises for bad input."""
    outcome = EnrichOutcome()
    signals: list[RawSignal] = []
    read_from: dict[str, int] = {}
    for record in records:
        try:
            signal = decode_signal(record.value, max_text_chars)
            signals.append(signal)
            read_from[signal.id] = record.partition
        except InvalidSignal as err:
            outcome.dead.append(fingerprinted(source, record.position, err.reason, record.value))
    if signals:
        docs, failed = enrich_batch(enricher, signals, source)
        outcome.docs = docs
        outcome.partitions = [read_from.get(doc.get("id"), 0) for doc in docs]
        outcome.dead.extend(failed)
    return outcome


def encode_docs(docs: list[dict[str, Any]]) -> list[str]:
    """Each document as compact JSON text, encoded once for both the Kafka records and the sink."""
    return [to_json_text(doc) for doc in docs]


def enriched_records(docs: list[dict[str, Any]], encoded: list[str] | None = None
                     ) -> list[tuple[bytes | None, bytes]]:
    """(key, value) records of `signals.enriched`: key = signal id, value = the document as JSON.

    `encoded`: the documents' JSON texts from encode_docs(), when the caller already has them.
    """
    texts = encode_docs(docs) if encoded is None else encoded
    return [(encode_key(doc["id"]), text.encode("utf-8")) for doc, text in zip(docs, texts)]


def dead_records(letters: list[DeadLetter]) -> list[tuple[bytes | None, bytes]]:
    """(key, value) records of `signals.deadletter` (no key: spread over partitions)."""
    return [(None, dead_letter_value(letter)) for letter in letters]


def register_enrich_task(app: Any, settings: Any, enricher: BatchEnricher, max_text_chars: int,
                         municipality: str, progress: WorkerProgress, sink: Sink | None = None) -> RawBatchConsumer:
    """Run the enrich step on `app` (a faust.App) as a task fed by a raw batch consumer, and return that
    consumer; with `sink` each batch is also stored."""
    source = f"kafka:{settings.topic_raw}"
    sender = BatchSender(lambda: app.producer._ensure_producer())

    async def store(batch: SinkBatch) -> list[DeadLetter]:
        """Write the batch to the sink, retrying until it accepts; return what it refused."""
        if sink is None or not batch:
            return []
        return await write_with_retry(sink, batch)

    async def enrich(records: list[RawRecord]) -> None:
        """Enrich one batch of raw records; produce enriched signals, facts and dead letters (and store them)."""
        try:
            outcome = enrich_records(records, enricher, source, max_text_chars)
        except Exception:  # noqa: BLE001 - the batch would be committed anyway; keep it visible
            log.exception("enrich: unexpected failure; sending the batch to the dead letters")
            outcome = EnrichOutcome(dead=[fingerprinted(source, r.position, "unexpected enrichment failure",
                                                        r.value) for r in records])
        encoded = encode_docs(outcome.docs)
        for letter in outcome.dead:
            log.warning("dead letter at %s: %s", letter.position, letter.reason)
        times = event_times(outcome.docs)
        # signals.enriched is keyed like signals.raw (the signal id), so a document goes to the partition
        # number its raw record came from (no second hash of the key) when both topics have it
        deliveries = [asyncio.ensure_future(sender.send(topic, batch, placed=placed))
                      for topic, batch, placed in (
            (settings.topic_enriched, enriched_records(outcome.docs, encoded), outcome.partitions),
            (settings.facts_topic, count_records(outcome.docs, times), None),
            (settings.detect_topic, detect_records(outcome.docs, outcome.partitions, municipality, times), None),
            (settings.topic_deadletter, dead_records(outcome.dead), None),
        ) if batch]
        refused: list[DeadLetter] = []
        try:
            refused = await store(SinkBatch(docs=outcome.docs, dead=outcome.dead, encoded=encoded))
            if refused:
                for letter in refused:
                    log.warning("sink dead letter at %s: %s", letter.position, letter.reason)
                deliveries.append(asyncio.ensure_future(
                    sender.send(settings.topic_deadletter, dead_records(refused))))
                await store(SinkBatch(dead=refused))
            await asyncio.gather(*deliveries)
        finally:
            for delivery in deliveries:
                if not delivery.done():
                    delivery.cancel()
        counts = {"enriched": len(outcome.docs), "dead": len(outcome.dead)}
        if sink is not None:
            counts.update(stored=len(outcome.docs) - len(refused), sink_dead=len(refused))
        progress.add(**counts)

    consumer = RawBatchConsumer(settings, enrich, on_assigned=progress.save)

    @app.task
    async def _consume_raw() -> None:
        """Read signals.raw in batches and enrich them until the worker stops."""
        await consumer.run_forever()

    return consumer

"""Enrich a batch of raw signals; when the batch fails, find the culprit so only it becomes a dead letter."""
from __future__ import annotations

import json
import logging
from typing import Protocol

from pipeline.core.enriched import EnrichedSignal
from pipeline.core.signal import DeadLetter, RawSignal
from pipeline.enrich.pii.boundary import dead_letter

log = logging.getLogger(__name__)


class BatchEnricher(Protocol):
    """Anything that enriches raw signals into documents (pipeline.enrich.Enricher)."""

    def enrich(self, raw: RawSignal) -> EnrichedSignal: ...

    def enrich_many(self, raws: list[RawSignal]) -> list[EnrichedSignal]: ...


def enrich_batch(enricher: BatchEnricher, signals: list[RawSignal], source: str
                 ) -> tuple[list[EnrichedSignal], list[DeadLetter]]:
    """Enrich a batch; if the batch fails, retry one by one so only the culprit becomes a dead letter."""
    try:
        return enricher.enrich_many(signals), []
    except Exception:  # noqa: BLE001 - isolate the bad record below
        log.exception("batch enrichment failed; retrying the %d signals one by one", len(signals))
    docs: list[EnrichedSignal] = []
    dead: list[DeadLetter] = []
    for raw in signals:
        try:
            docs.append(enricher.enrich(raw))
        except Exception as err:  # noqa: BLE001 - a bad record must not stop the stream
            log.error("enrichment failed for %s (%s)", raw.id, type(err).__name__)
            dead.append(dead_letter(source, raw.id, f"enrichment failed: {type(err).__name__}",
                                      json.dumps(raw.to_dict(), ensure_ascii=False, default=str)))
    return docs, dead

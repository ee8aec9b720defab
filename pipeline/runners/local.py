"""The local runner: one process, source -> enrich -> SQLite store, cursor committed with the rows."""
from __future__ import annotations

import logging
import time
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from pipeline.core.signal import RawSignal
from pipeline.sinks.sqlite.retention import RetentionTimer
from pipeline.sinks.sqlite.store import SqliteStore
from pipeline.sources.base import DeadLetter, Source, SourceBatch

log = logging.getLogger(__name__)


class BatchEnricher(Protocol):
    """Anything that enriches raw signals into documents (pipeline.enrich.Enricher)."""

    def enrich(self, raw: RawSignal) -> dict[str, Any]: ...

    def enrich_many(self, raws: list[RawSignal]) -> list[dict[str, Any]]: ...


BatchHook = Callable[[list[dict[str, Any]], SourceBatch], None]


@dataclass
class RunStats:
    """What a run did: counts and the per-signal latency from entering the runner to being queryable."""

    signals: int = 0
    dead: int = 0
    batches: int = 0
    started: float = field(default_factory=time.monotonic)
    latencies: list[float] = field(default_factory=list)

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.started


def enrich_batch(enricher: BatchEnricher, signals: list[RawSignal], source: str
                 ) -> tuple[list[dict[str, Any]], list[DeadLetter]]:
    """Enrich a batch; if the batch fails, retry one by one so only the culprit becomes a dead letter."""
    try:
        return enricher.enrich_many(signals), []
    except Exception:  # noqa: BLE001 - isolate the bad record below
        log.exception("batch enrichment failed; retrying the %d signals one by one", len(signals))
    docs: list[dict[str, Any]] = []
    dead: list[DeadLetter] = []
    for raw in signals:
        try:
            docs.append(enricher.enrich(raw))
        except Exception as err:  # noqa: BLE001 - a bad record must not stop the stream
            log.error("enrichment failed for %s: %s", raw.id, err)
            dead.append(DeadLetter.of(source, raw.id, f"enrichment failed: {type(err).__name__}: {err}",
                                      str(raw.to_dict())))
    return docs, dead


class LocalRunner:
    """Pulls batches from one source, enriches them and stores rows, dead letters and cursor atomically."""

    def __init__(self, source: Source, store: SqliteStore, enricher: BatchEnricher,
                 on_batch: BatchHook | None = None, keep_latencies: bool = False,
                 retention: RetentionTimer | None = None) -> None:
        self.source = source
        self.retention = retention
        self.store = store
        self.enricher = enricher
        self.on_batch = on_batch
        self.keep_latencies = keep_latencies
        self.stats = RunStats()

    def run(self, stop: threading.Event | None = None) -> RunStats:
        """Run until the source is exhausted or `stop` is set; safe to call again after a crash."""
        stop = stop or threading.Event()
        cursor = self.store.load_cursor(self.source.name)
        if cursor is not None:
            log.info("resuming %s from %s", self.source.name, cursor)
        for batch in self.source.batches(cursor, stop):
            self._process(batch)
            if stop.is_set():
                break
        log.info("runner finished: %d signals, %d dead letters in %.1f s",
                 self.stats.signals, self.stats.dead, self.stats.elapsed)
        return self.stats

    def _process(self, batch: SourceBatch) -> None:
        docs, dead = enrich_batch(self.enricher, batch.signals, self.source.name) if batch.signals else ([], [])
        dead_all = batch.dead + dead
        for letter in batch.dead:
            log.warning("dead letter from %s at %s: %s", letter.source, letter.position, letter.reason)
        self.store.write(self.source.name, batch.cursor, docs, dead_all)
        done = time.monotonic()
        if self.retention is not None:
            self.retention.maybe_purge(self.store)
        if self.keep_latencies and batch.received:
            self.stats.latencies.extend(done - t for t in batch.received)
        self.stats.signals += len(docs)
        self.stats.dead += len(dead_all)
        self.stats.batches += 1
        if self.on_batch is not None and docs:
            try:
                self.on_batch(docs, batch)
            except Exception:  # noqa: BLE001 - observers never stop the pipeline
                log.exception("batch hook failed")

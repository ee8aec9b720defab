"""The local runner: one process, source -> enrich -> SQLite store, cursor committed with the rows."""
from __future__ import annotations

import logging
import time
import threading
from typing import Any, Callable

from pipeline.core.run_stats import RunStats
from pipeline.sinks.sqlite.retention import RetentionTimer
from pipeline.sinks.sqlite.store import SqliteStore
from pipeline.core.signal import SourceBatch
from pipeline.enrich.batch import BatchEnricher, enrich_batch
from pipeline.sources.base import Source

log = logging.getLogger(__name__)


BatchHook = Callable[[list[dict[str, Any]], SourceBatch], None]


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

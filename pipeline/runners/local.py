"""The local runner: one process, source -> enrich -> sink, the cursor committed with the batch it produced.

The runner feeds every batch to the spike detector (AlertFeed) and hands the alert events to the sink in the
same write; the detector's snapshot is kept by the sink (load_state/save_state)."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Iterable

from pipeline.alerts.detector import SpikeDetector
from pipeline.alerts.model import AlertEvent
from pipeline.core.run_stats import RunStats
from pipeline.core.signal import SourceBatch
from pipeline.enrich.batch import BatchEnricher, enrich_batch
from pipeline.sinks.base import Sink, SinkBatch, SourceCursor
from pipeline.sinks.sqlite.retention import RetentionTimer
from pipeline.sources.base import Source

log = logging.getLogger(__name__)


BatchHook = Callable[[list[dict[str, Any]], SourceBatch], None]


class AlertFeed:
    """One SpikeDetector, restored from and saved to `state` (anything with load_state/save_state, and
    optionally signals_after(ts) to catch up on signals stored after the snapshot)."""

    def __init__(self, state: Any, config: Any = None, notifier: Any = None, save_every_seconds: float = 60.0) -> None:
        """Restore the detector (config: DetectorConfig or None) from `state`."""
        self.state = state
        self.notifier = notifier
        self.save_every = save_every_seconds
        self._last_save = time.monotonic()
        self.detector = SpikeDetector(config)
        saved = state.load_state()
        if saved is not None:
            try:
                self.detector = SpikeDetector.restore(saved, config)
            except (KeyError, TypeError, ValueError) as err:
                log.error("alert feed: saved detector state unusable (%s); starting with empty baselines", err)

    def catch_up(self) -> list[AlertEvent]:
        """The events of the signals stored after the snapshot's newest one (minus the allowed lateness)."""
        since = self.detector.max_seen
        reader = getattr(self.state, "signals_after", None)
        if since is None or reader is None:
            return []
        docs = reader(since - self.detector.config.allowed_lateness_minutes * 60)
        if not docs:
            return []
        log.info("alert feed: catching up on %d stored signals", len(docs))
        return self.detector.observe(docs)

    def observe(self, docs: Iterable[dict[str, Any]]) -> list[AlertEvent]:
        """Count a batch of enriched signals; the alert events it causes."""
        return self.detector.observe(list(docs))

    def stored(self, events: list[AlertEvent]) -> None:
        """After the sink stored a batch: notify its events and save the snapshot when due."""
        if events and self.notifier is not None:
            self.notifier.submit(events)
        if time.monotonic() - self._last_save >= self.save_every:
            self.save()

    def save(self) -> None:
        """Persist the detector snapshot now."""
        self.state.save_state(self.detector.snapshot())
        self._last_save = time.monotonic()


class LocalRunner:
    """Pulls batches from one source, enriches them, feeds the spike detector, and stores rows, dead letters,
    alert events and the cursor in one sink write."""

    def __init__(self, source: Source, sink: Sink, enricher: BatchEnricher,
                 on_batch: BatchHook | None = None, keep_latencies: bool = False,
                 retention: RetentionTimer | None = None, alerts: AlertFeed | None = None) -> None:
        """Run `source` through `enricher` into `sink`; `alerts` feeds the detector with every batch."""
        self.source = source
        self.retention = retention
        self.sink = sink
        self.enricher = enricher
        self.on_batch = on_batch
        self.keep_latencies = keep_latencies
        self.alerts = alerts
        self.stats = RunStats()

    def run(self, stop: threading.Event | None = None) -> RunStats:
        """Run until the source is exhausted or `stop` is set; safe to call again after a crash."""
        stop = stop or threading.Event()
        if self.alerts is not None:
            self._store(SinkBatch(alerts=self.alerts.catch_up()))
        cursor = self.sink.load_cursor(self.source.name)
        if cursor is not None:
            log.info("resuming %s from %s", self.source.name, cursor)
        try:
            for batch in self.source.batches(cursor, stop):
                self._process(batch)
                if stop.is_set():
                    break
        finally:
            if self.alerts is not None:
                self.alerts.save()
        log.info("runner finished: %d signals, %d dead letters in %.1f s",
                 self.stats.signals, self.stats.dead, self.stats.elapsed)
        return self.stats

    def _store(self, batch: SinkBatch) -> None:
        """Write a batch; what the sink refuses is written again as dead letters."""
        if not batch:
            return
        refused = self.sink.write(batch)
        if refused:
            for letter in refused:
                log.error("sink %s refused %s: %s", self.sink.name, letter.position, letter.reason)
            self.stats.dead += len(refused)
            self.sink.write(SinkBatch(dead=refused))
        if self.alerts is not None:
            self.alerts.stored(batch.alerts)

    def _process(self, batch: SourceBatch) -> None:
        """Enrich, detect and store one source batch with its cursor."""
        docs, dead = enrich_batch(self.enricher, batch.signals, self.source.name) if batch.signals else ([], [])
        dead_all = batch.dead + dead
        for letter in batch.dead:
            log.warning("dead letter from %s at %s: %s", letter.source, letter.position, letter.reason)
        events = self.alerts.observe(docs) if self.alerts is not None and docs else []
        self._store(SinkBatch(docs=docs, dead=dead_all, alerts=events,
                              cursor=SourceCursor(self.source.name, batch.cursor)))
        done = time.monotonic()
        if self.retention is not None:
            store = getattr(self.sink, "store", None)
            if store is not None:
                self.retention.maybe_purge(store)
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

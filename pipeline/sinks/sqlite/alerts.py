"""Alerts in the local store: an `alerts` table (one row per episode, upserted on every change) and the
detector's saved state, in the same SQLite file as the signals. Tables are created when missing."""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from pipeline.alerts.detector import SpikeDetector
from pipeline.alerts.model import AlertEvent
from pipeline.sinks.sqlite.examples import has_purged, scrub
from pipeline.sinks.sqlite.schema import migrate
from pipeline.sinks.sqlite.store import connect

log = logging.getLogger(__name__)


_UPSERT = """
INSERT INTO alerts (id, topic, scope_type, scope_value, trigger, status, start, start_ts, "end", observed,
    expected, last_event, updated_at, doc)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(id) DO UPDATE SET
    topic=excluded.topic, scope_type=excluded.scope_type, scope_value=excluded.scope_value,
    trigger=excluded.trigger, status=excluded.status, start=excluded.start, start_ts=excluded.start_ts,
    "end"=excluded."end", observed=excluded.observed, expected=excluded.expected,
    last_event=excluded.last_event, updated_at=excluded.updated_at, doc=excluded.doc
"""


def _row(event: AlertEvent) -> tuple[Any, ...]:
    """The column values of the alert of one event."""
    doc = event.alert.to_dict()
    doc["last_event"] = event.kind
    start_ts = event.alert.start.timestamp()
    return (doc["id"], doc["topic"], doc["scope"]["type"], doc["scope"]["value"], doc["trigger"], doc["status"],
            doc["start"], start_ts, doc["end"], doc["observed"], doc["expected"], event.kind,
            doc["updated_at"] or "", json.dumps(doc, ensure_ascii=False, separators=(",", ":")))


class AlertStore:
    """Reads and writes alerts; one row per episode id, so replays and re-deliveries overwrite, never duplicate."""

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        """Open (and create the tables of) the store at `path`; `readonly` only reads."""
        self.path = Path(path)
        self.readonly = readonly
        self._lock = threading.Lock()
        self._conn = connect(self.path, readonly=readonly)
        if not readonly:
            migrate(self._conn)

    def write(self, events: Iterable[AlertEvent]) -> int:
        """Upsert the alert of every event (the last event per episode wins); returns rows written."""
        rows = [_row(e) for e in events]
        if not rows:
            return 0
        with self._lock, self._conn:
            if has_purged(self._conn):
                rows = [self._scrubbed_row(row) for row in rows]
            self._conn.executemany(_UPSERT, rows)
        return len(rows)

    def _scrubbed_row(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        """The row with the example texts of purged signals blanked in its document."""
        doc = json.loads(row[-1])
        if not scrub(self._conn, doc):
            return row
        return (*row[:-1], json.dumps(doc, ensure_ascii=False, separators=(",", ":")))

    def _has_table(self) -> bool:
        """True when the store has an alerts table."""
        found = self._conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alerts'").fetchone()
        return found is not None

    def list(self, limit: int = 100, topic: str | None = None, status: str | None = None,
             since: datetime | None = None) -> list[dict[str, Any]]:
        """Alerts newest first, optionally filtered by topic, status ('open'/'closed') and start time."""
        if not self._has_table():
            return []
        where, args = [], []
        if topic:
            where.append("topic = ?")
            args.append(topic)
        if status in ("open", "closed"):
            where.append("status = ?")
            args.append(status)
        if since is not None:
            where.append("start_ts >= ?")
            args.append(since.timestamp())
        sql = "SELECT doc FROM alerts" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY start_ts DESC, id LIMIT ?"
        args.append(max(1, min(int(limit), 10_000)))
        try:
            return [json.loads(r["doc"]) for r in self._conn.execute(sql, args)]
        except sqlite3.Error as err:
            log.error("alert store: cannot list alerts from %s: %s", self.path, err)
            return []

    def get(self, alert_id: str) -> dict[str, Any] | None:
        """One alert by id, or None."""
        if not self._has_table():
            return None
        row = self._conn.execute("SELECT doc FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        return json.loads(row["doc"]) if row else None

    def signals_after(self, ts: float) -> list[dict[str, Any]]:
        """Stored signals dated after `ts` (epoch seconds), oldest first ([] when the store has none)."""
        try:
            rows = self._conn.execute("SELECT doc FROM signals WHERE ts > ? ORDER BY ts", (ts,)).fetchall()
        except sqlite3.Error:
            return []
        return [json.loads(r["doc"]) for r in rows]

    def save_state(self, state: dict[str, Any], name: str = "detector") -> None:
        """Persist the detector snapshot (JSON) so a restarted runner resumes its baselines and episodes."""
        stamp = datetime.now(timezone.utc).isoformat()
        with self._lock, self._conn:
            if has_purged(self._conn):
                state = json.loads(json.dumps(state))   # a copy: the live detector keeps its own
                scrub(self._conn, state)
            text = json.dumps(state, separators=(",", ":"))
            self._conn.execute("INSERT INTO detector_state (name, state, saved_at) VALUES (?,?,?) "
                               "ON CONFLICT(name) DO UPDATE SET state=excluded.state, saved_at=excluded.saved_at",
                               (name, text, stamp))

    def load_state(self, name: str = "detector") -> dict[str, Any] | None:
        """The last saved detector snapshot, or None."""
        found = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='detector_state'").fetchone()
        if not found:
            return None
        row = self._conn.execute("SELECT state FROM detector_state WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        try:
            return json.loads(row["state"])
        except json.JSONDecodeError as err:
            log.error("alert store: saved detector state is not valid JSON (%s); starting fresh", err)
            return None

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


class AlertSink:
    """Runs the spike detector on every batch the runner stores, keeps alerts and the detector's state in the
    store, and hands alert events to a notifier (anything with `submit(events)`, e.g. AlertDispatcher).

    On start it restores the saved detector state and re-reads the signals stored after it, so a crash loses
    no counts; the state is saved at most every `save_every_seconds` and on close. `store` replaces the
    SQLite alert store at `store_path` with another one of the same interface (e.g. EsAlertStore).
    """

    def __init__(self, store_path: str | Path, config: Any = None, notifier: Any = None,
                 save_every_seconds: float = 60.0, store: Any = None) -> None:
        """Open the store, restore the detector (config: DetectorConfig or None) and catch up."""
        self.store = store if store is not None else AlertStore(store_path)
        self.notifier = notifier
        self.save_every = save_every_seconds
        self._last_save = time.monotonic()
        state = self.store.load_state()
        self.detector = SpikeDetector(config)
        if state is not None:
            try:
                self.detector = SpikeDetector.restore(state, config)
            except (KeyError, TypeError, ValueError) as err:
                log.error("alert sink: saved detector state unusable (%s); starting with empty baselines", err)
        self._catch_up()

    def _catch_up(self) -> None:
        """Feed the signals stored after the restored state's newest signal (minus the allowed lateness)."""
        since = self.detector.max_seen
        if since is None:
            return
        since -= self.detector.config.allowed_lateness_minutes * 60
        docs = self.store.signals_after(since)
        if docs:
            log.info("alert sink: catching up on %d stored signals", len(docs))
            self._handle(self.detector.observe(docs))

    def write(self, docs: Iterable[dict[str, Any]]) -> list[AlertEvent]:
        """Count a batch of enriched signals; store and notify the alert events it causes."""
        return self._handle(self.detector.observe(list(docs)))

    def advance(self, watermark: datetime) -> list[AlertEvent]:
        """Close windows up to an event-time watermark (e.g. during a quiet spell)."""
        return self._handle(self.detector.advance(watermark))

    def _handle(self, events: list[AlertEvent]) -> list[AlertEvent]:
        """Store and notify events; save the state when it is due."""
        if events:
            self.store.write(events)
            if self.notifier is not None:
                self.notifier.submit(events)
        if time.monotonic() - self._last_save >= self.save_every:
            self.save()
        return events

    def save(self) -> None:
        """Persist the detector state now."""
        self.store.save_state(self.detector.snapshot())
        self._last_save = time.monotonic()

    def close(self) -> None:
        """Save the state and close the store."""
        self.save()
        self.store.close()

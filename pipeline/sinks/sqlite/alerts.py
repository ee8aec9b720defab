"""Alerts in the local store: an `alerts` table (one row per episode, upserted on every change) and the
detector's saved state, in the same SQLite file as the signals. Tables are created when missing."""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from pipeline.alerts.model import AlertEvent
from pipeline.sinks.sqlite.alert_rows import UPSERT_ALERT, alert_row
from pipeline.sinks.sqlite.examples import has_purged, scrub
from pipeline.sinks.sqlite.schema import migrate
from pipeline.sinks.sqlite.store import connect

log = logging.getLogger(__name__)


class AlertStore:
    """Reads and writes alerts; one row per episode id, so replays and re-deliveries overwrite, never duplicate."""

    def __init__(self, path: str | Path, readonly: bool = False, connection: sqlite3.Connection | None = None,
                 lock: Any = None) -> None:
        """Open (and create the tables of) the store at `path`; `readonly` only reads. `connection` and `lock`:
        share an open store's connection instead of opening another (closing is then the owner's job)."""
        self.path = Path(path)
        self.readonly = readonly
        self._lock = lock if lock is not None else threading.Lock()
        self._owns = connection is None
        self._conn = connection if connection is not None else connect(self.path, readonly=readonly)
        if not readonly and self._owns:
            migrate(self._conn)

    def write(self, events: Iterable[AlertEvent]) -> int:
        """Upsert the alert of every event (the last event per episode wins); returns rows written."""
        rows = [alert_row(e) for e in events]
        if not rows:
            return 0
        with self._lock, self._conn:
            if has_purged(self._conn):
                rows = [self._scrubbed_row(row) for row in rows]
            self._conn.executemany(UPSERT_ALERT, rows)
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
        """Close the connection (unless it is shared with the store that owns it)."""
        if self._owns:
            self._conn.close()

"""The SQLite store behind the sink contract: signals, dead letters, alerts and the cursor in one transaction."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.core.signal import DeadLetter
from pipeline.sinks.base import SinkBatch
from pipeline.sinks.sqlite.alerts import AlertStore
from pipeline.sinks.sqlite.store import SqliteStore


class SqliteSink:
    """The local store (WAL) as a Sink; upserts by signal id and alert id make re-delivery harmless."""

    blocking = False

    def __init__(self, path: str | Path) -> None:
        """A sink on the store file at `path` (opened by open())."""
        self.path = Path(path)
        self.name = f"sqlite:{self.path}"
        self.store: SqliteStore | None = None
        self.alerts: AlertStore | None = None

    def open(self) -> "SqliteSink":
        """Open (and migrate) the store; several processes may do this at the same moment."""
        if self.store is None:
            self.store = SqliteStore(self.path)
            self.alerts = AlertStore(self.path, connection=self.store.connection, lock=self.store.lock)
        return self

    def _opened(self) -> tuple[SqliteStore, AlertStore]:
        """The open store and alert store (opening them on first use)."""
        if self.store is None or self.alerts is None:
            self.open()
        assert self.store is not None and self.alerts is not None
        return self.store, self.alerts

    def load_cursor(self, source: str) -> dict[str, Any] | None:
        """The cursor committed with the last batch of `source`."""
        return self._opened()[0].load_cursor(source)

    def write(self, batch: SinkBatch) -> list[DeadLetter]:
        """One transaction for the batch's signals, dead letters, alerts and cursor; nothing is refused."""
        store, _ = self._opened()
        cursor = batch.cursor
        store.write(cursor.source if cursor else None, cursor.position if cursor else None, batch.docs,
                    batch.dead, encoded=batch.encoded, alerts=batch.alerts)
        return []

    def flush(self) -> list[DeadLetter]:
        """Every write is committed when it returns."""
        return []

    def load_state(self, name: str = "detector") -> dict[str, Any] | None:
        """The detector snapshot kept in the store."""
        return self._opened()[1].load_state(name)

    def save_state(self, state: dict[str, Any], name: str = "detector") -> None:
        """Keep a detector snapshot in the store."""
        self._opened()[1].save_state(state, name)

    def signals_after(self, ts: float) -> list[dict[str, Any]]:
        """Stored signals dated after `ts`, oldest first (a restarted detector catches up on them)."""
        return self._opened()[1].signals_after(ts)

    def close(self) -> None:
        """Close the store."""
        if self.store is not None:
            self.store.close()
        self.store = self.alerts = None

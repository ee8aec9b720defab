"""Per-source status (last poll, last error, lag, counts) kept in a `source_status` table of the store file."""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipeline.core.private_files import make_private
from pipeline.core.timeutil import iso as iso_seconds
from pipeline.sinks.sqlite.schema import migrate

log = logging.getLogger(__name__)


_SUCCESS = """
INSERT INTO source_status (source, last_poll, last_success, newest_item_at, polls, signals, dead)
VALUES (?, ?, ?, ?, 1, ?, ?)
ON CONFLICT(source) DO UPDATE SET
    last_poll=excluded.last_poll, last_success=excluded.last_success,
    newest_item_at=MAX(COALESCE(source_status.newest_item_at, 0), COALESCE(excluded.newest_item_at, 0)),
    polls=source_status.polls + 1, signals=source_status.signals + excluded.signals,
    dead=source_status.dead + excluded.dead
"""

_FAILURE = """
INSERT INTO source_status (source, last_poll, last_error, last_error_at, errors) VALUES (?, ?, ?, ?, 1)
ON CONFLICT(source) DO UPDATE SET
    last_poll=excluded.last_poll, last_error=excluded.last_error, last_error_at=excluded.last_error_at,
    errors=source_status.errors + 1
"""


@dataclass(slots=True)
class SourceStatus:
    """One row of the status table, with the lag worked out at read time."""

    source: str
    last_poll: float | None
    last_success: float | None
    last_error: str | None
    last_error_at: float | None
    newest_item_at: float | None
    polls: int
    errors: int
    signals: int
    dead: int
    lag_seconds: float | None
    state: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with ISO 8601 times."""
        out = asdict(self)
        for key in ("last_poll", "last_success", "last_error_at", "newest_item_at"):
            out[key] = iso(out[key])
        return out


def iso(epoch: float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC to the second, or None (also for 0: never)."""
    return iso_seconds(epoch, "seconds") if epoch else None


def state_of(last_success: float | None, last_error_at: float | None) -> str:
    """'ok' when the last thing that happened was a success, 'error' when it was a failure, else 'never ran'."""
    if last_success is None and last_error_at is None:
        return "never ran"
    if last_error_at is not None and (last_success is None or last_error_at > last_success):
        return "error"
    return "ok"


class StatusRecorder:
    """Records connector successes and failures in the store file; never raises into the pipeline."""

    def __init__(self, store_path: str | Path, clock: Any = time) -> None:
        """Open (and if needed create) the status table in `store_path`."""
        self.path = Path(store_path)
        make_private(self.path)
        self._clock = clock
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA busy_timeout=30000")
        migrate(self._conn)

    def polled(self, source: str, signals: int = 0, dead: int = 0, newest_item_at: float | None = None) -> None:
        """A request or stream read succeeded and produced `signals` and `dead` records."""
        now = self._clock.time()
        self._execute(_SUCCESS, (source, now, now, newest_item_at, signals, dead))

    def failed(self, source: str, message: str) -> None:
        """A request failed; keep the message (one line, at most 500 characters)."""
        now = self._clock.time()
        self._execute(_FAILURE, (source, now, " ".join(message.split())[:500], now))

    def _execute(self, sql: str, params: tuple[Any, ...]) -> None:
        """Run one write; log, never raise, on a database error."""
        try:
            with self._lock, self._conn:
                self._conn.execute(sql, params)
        except sqlite3.Error as err:
            log.error("could not record source status in %s: %s", self.path, err)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


def read_status(store_path: str | Path, now: float | None = None) -> list[SourceStatus]:
    """All rows of the status table, sorted by source; empty when the file or the table does not exist.

    The lag is the time since the last successful poll: it keeps growing while a source is failing or stuck.
    """
    path = Path(store_path)
    if not path.is_file():
        return []
    now = time.time() if now is None else now
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute("SELECT * FROM source_status ORDER BY source").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()
    result = []
    for row in rows:
        values = dict(row)
        last_success = values["last_success"]
        values["lag_seconds"] = None if last_success is None else max(0.0, now - last_success)
        values["state"] = state_of(last_success, values["last_error_at"])
        result.append(SourceStatus(**values))
    return result

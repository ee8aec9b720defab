"""The local store: enriched signals, dead letters and source cursors in one SQLite file (WAL)."""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from pipeline.alerts.model import AlertEvent
from pipeline.core.private_files import make_private
from pipeline.core.signal import DeadLetter
from pipeline.core.timeutil import utc_datetime
from pipeline.sinks.sqlite.alert_rows import UPSERT_ALERT, alert_row
from pipeline.sinks.sqlite.examples import scrub_stored
from pipeline.sinks.sqlite.retention import PurgeResult
from pipeline.sinks.sqlite.schema import LOCK_RETRY_SECONDS, migrate, retry_on_transient_lock
from pipeline.sinks.sqlite.side_rows import SideRowWriter, existing_rows, last_per_id, rowids_of, side_tables_account

log = logging.getLogger(__name__)


_UPSERT = """
INSERT INTO signals (id, channel, created_at, ts, topic, topic_confidence, needs_review, sentiment,
    sentiment_score, language, place, author, text, query_normalized, query_group, zero_result,
    stored_at, doc)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(id) DO UPDATE SET
    channel=excluded.channel, created_at=excluded.created_at, ts=excluded.ts, topic=excluded.topic,
    topic_confidence=excluded.topic_confidence, needs_review=excluded.needs_review,
    sentiment=excluded.sentiment, sentiment_score=excluded.sentiment_score, language=excluded.language,
    place=excluded.place, author=excluded.author, text=excluded.text,
    query_normalized=excluded.query_normalized, query_group=excluded.query_group,
    zero_result=excluded.zero_result, stored_at=excluded.stored_at, doc=excluded.doc
"""


WAL_SWITCH_SECONDS = 30.0


def use_wal(conn: sqlite3.Connection, within: float = WAL_SWITCH_SECONDS) -> None:
    """Switch the file to WAL, retrying while another process holds it: on a new file the switch needs the
    file to itself, and SQLite answers 'database is locked' at once there instead of waiting its busy
    timeout (several workers opening one new store at the same moment)."""
    retry_on_transient_lock(lambda: conn.execute("PRAGMA journal_mode=WAL"), within)


def connect(path: str | Path, readonly: bool = False) -> sqlite3.Connection:
    """Open the store file with the pragmas the pipeline relies on."""
    if readonly:
        conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, check_same_thread=False, timeout=30)
    else:
        make_private(path)   # SQLite gives its -wal and -shm files the mode of the store file
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        use_wal(conn)
        conn.execute("PRAGMA synchronous=NORMAL")
        for suffix in ("-wal", "-shm"):
            side = Path(f"{path}{suffix}")
            if side.exists():
                make_private(side)
    conn.execute("PRAGMA busy_timeout=30000")
    conn.row_factory = sqlite3.Row
    return conn


def _timestamp(doc: dict[str, Any]) -> tuple[str, float]:
    moment = datetime.fromisoformat(doc["created_at"]).astimezone(timezone.utc)
    return moment.isoformat().replace("+00:00", "Z"), moment.timestamp()


def encode_doc(doc: dict[str, Any]) -> str:
    """An enriched signal as the compact JSON stored in the `doc` column."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def signal_row(doc: dict[str, Any], stored_at: float, encoded: str | None = None) -> tuple[Any, ...]:
    """The column values for one enriched signal; `encoded` is the doc's JSON when the caller already has it."""
    created, ts = _timestamp(doc)
    topic = doc.get("topic") or {}
    sentiment = doc.get("sentiment") or {}
    query = doc.get("query") or {}
    zero = query.get("zero_result")
    return (
        doc["id"], doc["channel"], created, ts, topic.get("code"), topic.get("confidence"),
        1 if doc.get("needs_review") else 0, sentiment.get("label"), sentiment.get("score"),
        doc.get("language"), doc.get("place"), doc.get("author"), doc["text"],
        query.get("normalized"), query.get("group"), None if zero is None else int(bool(zero)),
        stored_at, encode_doc(doc) if encoded is None else encoded,
    )


def usable_encodings(docs: list[dict[str, Any]], encoded: Sequence[str] | None) -> Sequence[str | None]:
    """`encoded` when it is one JSON string per doc, else a list of None (each doc is then encoded here)."""
    if encoded is not None:
        if len(encoded) == len(docs) and all(isinstance(text, str) for text in encoded):
            return encoded
        log.error("store: %d pre-encoded documents for %d docs (or not strings); encoding them again",
                  len(encoded), len(docs))
    return [None] * len(docs)


def open_migrated(path: Path, within: float = LOCK_RETRY_SECONDS) -> sqlite3.Connection:
    """A write connection to a store brought up to date; opening and migrating start again while another
    process is setting up the same new file (SQLite's transient lock errors)."""
    def attempt() -> sqlite3.Connection:
        conn = connect(path)
        try:
            migrate(conn)
        except sqlite3.OperationalError:
            conn.close()
            raise
        return conn

    return retry_on_transient_lock(attempt, within)


class SqliteStore:
    """Writes batches atomically: signals (idempotent on id), dead letters and the source cursor together."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn = open_migrated(self.path)
        self._lock = threading.Lock()

    @property
    def connection(self) -> sqlite3.Connection:
        """The write connection (shared with the alert store of the same file)."""
        return self._conn

    @property
    def lock(self) -> threading.Lock:
        """The lock every write on the connection takes."""
        return self._lock

    def load_cursor(self, source: str) -> dict[str, Any] | None:
        """The cursor last committed for `source`, or None when it never ran."""
        row = self._conn.execute("SELECT cursor FROM cursors WHERE source=?", (source,)).fetchone()
        return json.loads(row["cursor"]) if row else None

    def write(self, source: str | None, cursor: dict[str, Any] | None, docs: Iterable[dict[str, Any]],
              dead: Iterable[DeadLetter] = (), stored_at: float | None = None,
              encoded: Sequence[str] | None = None, alerts: Iterable[AlertEvent] = ()) -> None:
        """Store enriched docs, dead letters and alert events and move the source cursor, all in one transaction.

        `encoded`, optional: each doc's JSON (as encode_doc() makes it), in the order of `docs`, so a caller
        that already encoded them (the Kafka worker) does not pay for it twice.
        """
        now = datetime.now(timezone.utc)
        stamp = now.timestamp() if stored_at is None else stored_at
        docs = list(docs)
        rows = [signal_row(doc, stamp, text) for doc, text in zip(docs, usable_encodings(docs, encoded))]
        dead_rows = [(d.source, d.position, d.reason, d.raw, d.raw_bytes, d.raw_sha256, d.at.isoformat())
                     for d in dead]
        alert_rows = [alert_row(event) for event in alerts]
        with self._lock, self._conn:
            if rows:
                self._write_rows(docs, rows)
            if alert_rows:
                self._conn.executemany(UPSERT_ALERT, alert_rows)
            if dead_rows:
                self._conn.executemany(
                    "INSERT INTO deadletters (source, position, reason, raw, raw_bytes, raw_sha256, at) "
                    "VALUES (?,?,?,?,?,?,?)", dead_rows)
            if source is not None and cursor is not None:
                self._conn.execute(
                    "INSERT INTO cursors (source, cursor, updated_at) VALUES (?,?,?) "
                    "ON CONFLICT(source) DO UPDATE SET cursor=excluded.cursor, updated_at=excluded.updated_at",
                    (source, json.dumps(cursor, sort_keys=True), now.isoformat()))

    def _write_rows(self, docs: list[dict[str, Any]], rows: list[tuple[Any, ...]]) -> None:
        """Upsert the rows; when the store has the advisers' side tables, keep them in step in the same transaction."""
        account = side_tables_account(self._conn)
        if account is None:
            self._conn.executemany(_UPSERT, rows)
            return
        docs, rows = last_per_id(docs, rows)
        side = SideRowWriter(self._conn, account)
        old = existing_rows(self._conn, [row[0] for row in rows])
        side.remove_old(old)
        self._conn.executemany(_UPSERT, rows)
        rowids = {sid: stored.rowid for sid, stored in old.items()}
        rowids.update(rowids_of(self._conn, [row[0] for row in rows if row[0] not in old]))
        side.add_new(docs, rows, rowids)

    def purge(self, before: float, chunk: int = 2_000) -> PurgeResult:
        """Delete signals stored before epoch `before` (with their side rows and corrections) and older dead letters, in chunks
        of `chunk` signals per transaction so writers are never held up for long."""
        removed = 0
        while True:
            with self._lock, self._conn:
                ids = [r[0] for r in self._conn.execute(
                    "SELECT id FROM signals WHERE stored_at < ? LIMIT ?", (before, chunk))]
                if not ids:
                    break
                account = side_tables_account(self._conn)
                if account is not None:
                    SideRowWriter(self._conn, account).remove_old(existing_rows(self._conn, ids))
                self._conn.executemany("DELETE FROM signals WHERE id = ?", [(i,) for i in ids])
                self._conn.executemany("DELETE FROM corrections WHERE signal_id = ?", [(i,) for i in ids])
                removed += len(ids)
        cutoff = utc_datetime(before)
        with self._lock, self._conn:
            dead = self._conn.execute("DELETE FROM deadletters WHERE at < ?", (cutoff.isoformat(),)).rowcount
            self._conn.execute("INSERT INTO purges (cutoff, at) VALUES (?, ?)",
                               (before, datetime.now(timezone.utc).isoformat()))
            blanked = scrub_stored(self._conn)
        if blanked:
            log.info("retention: blanked %d example texts of purged signals", blanked)
        return PurgeResult(removed, dead, cutoff)

    def count(self) -> int:
        """How many signals the store holds."""
        return self._conn.execute("SELECT COUNT(*) FROM signals").fetchone()[0]

    def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """The most recent dead letters, newest first."""
        rows = self._conn.execute(
            "SELECT source, position, reason, raw, raw_bytes, raw_sha256, at FROM deadletters "
            "ORDER BY seq DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]

    def close(self) -> None:
        """Close the write connection."""
        self._conn.close()

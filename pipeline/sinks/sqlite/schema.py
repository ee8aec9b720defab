"""Every table, index and virtual table of the local store, and the migrations that bring a file up to date.

The store file holds the signals and everything kept beside them: dead letters, source cursors, alerts and the
detector's state, connector status, the webteam's review, the advisers' corrections, and the advisers' side
tables (terms, flags, hourly counts, dossiers and their membership, a trigram text index). `migrate` is the
only code that creates schema; every module that opens the store calls it. The file's `PRAGMA user_version`
says which migrations ran. Version 3 is not idempotent (ALTER TABLE); it runs once, under the write lock,
after re-reading the version.
"""
from __future__ import annotations

import sqlite3
import time
from typing import Callable, TypeVar

from pipeline.core.retry import Backoff

T = TypeVar("T")

LOCK_RETRY_SECONDS = 30.0

SIGNALS = """
CREATE TABLE IF NOT EXISTS signals (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    created_at TEXT NOT NULL,
    ts REAL NOT NULL,
    topic TEXT,
    topic_confidence REAL,
    needs_review INTEGER NOT NULL DEFAULT 0,
    sentiment TEXT,
    sentiment_score REAL,
    language TEXT,
    place TEXT,
    author TEXT,
    text TEXT NOT NULL,
    query_normalized TEXT,
    query_group TEXT,
    zero_result INTEGER,
    stored_at REAL NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS signals_ts ON signals (ts);
CREATE INDEX IF NOT EXISTS signals_channel_ts ON signals (channel, ts);
CREATE INDEX IF NOT EXISTS signals_topic_ts ON signals (topic, ts);
CREATE INDEX IF NOT EXISTS signals_sentiment_ts ON signals (sentiment, ts);
CREATE INDEX IF NOT EXISTS signals_stored_at ON signals (stored_at);
CREATE INDEX IF NOT EXISTS signals_zero ON signals (zero_result, query_group) WHERE zero_result IS NOT NULL;
CREATE TABLE IF NOT EXISTS deadletters (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    position TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cursors (
    source TEXT PRIMARY KEY,
    cursor TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""

ALERTS = """
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    scope_type TEXT NOT NULL,
    scope_value TEXT NOT NULL,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    start TEXT NOT NULL,
    start_ts REAL NOT NULL,
    "end" TEXT,
    observed INTEGER NOT NULL,
    expected REAL NOT NULL,
    last_event TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_start ON alerts (start_ts);
CREATE INDEX IF NOT EXISTS alerts_topic_start ON alerts (topic, start_ts);
CREATE TABLE IF NOT EXISTS detector_state (
    name TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
"""

CONNECTOR_STATUS = """
CREATE TABLE IF NOT EXISTS source_status (
    source TEXT PRIMARY KEY,
    last_poll REAL,
    last_success REAL,
    last_error TEXT,
    last_error_at REAL,
    newest_item_at REAL,
    polls INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    signals INTEGER NOT NULL DEFAULT 0,
    dead INTEGER NOT NULL DEFAULT 0
);
"""

SEARCH_REVIEW = """
CREATE TABLE IF NOT EXISTS search_review (
    query_group TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('open', 'handled', 'ignored')),
    note TEXT NOT NULL DEFAULT '',
    handled_at REAL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS search_review_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    query_group TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS search_review_log_at ON search_review_log (at);
CREATE INDEX IF NOT EXISTS signals_query_group_ts ON signals (query_group, ts) WHERE query_group IS NOT NULL;
"""

ADVISERS = """
CREATE TABLE IF NOT EXISTS advisers_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dossiers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    keywords TEXT NOT NULL DEFAULT '[]',
    topics TEXT NOT NULL DEFAULT '[]',
    channels TEXT NOT NULL DEFAULT '[]',
    place TEXT,
    start_ts REAL,
    end_ts REAL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS signal_terms (
    term TEXT NOT NULL, ts REAL NOT NULL, id TEXT NOT NULL, PRIMARY KEY (term, ts, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS signal_terms_ts ON signal_terms (ts, term);
CREATE INDEX IF NOT EXISTS signal_terms_id ON signal_terms (id);
CREATE TABLE IF NOT EXISTS signal_flags (
    id TEXT PRIMARY KEY, ts REAL NOT NULL, channel TEXT, topic TEXT, sentiment TEXT, place TEXT,
    deleted INTEGER, attention INTEGER, handled INTEGER);
CREATE INDEX IF NOT EXISTS signal_flags_attention ON signal_flags (attention, handled, ts);
CREATE INDEX IF NOT EXISTS signal_flags_deleted ON signal_flags (deleted, ts);
CREATE TABLE IF NOT EXISTS signal_hour (
    dim TEXT NOT NULL, key TEXT NOT NULL, hour REAL NOT NULL, n INTEGER NOT NULL, stored INTEGER NOT NULL,
    PRIMARY KEY (dim, key, hour)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS term_hour (
    hour REAL NOT NULL, term TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (hour, term)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS search_hour (
    hour REAL NOT NULL, grp TEXT NOT NULL, form TEXT NOT NULL, searches INTEGER NOT NULL, zero INTEGER NOT NULL,
    PRIMARY KEY (hour, grp, form)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dossier_signal (
    dossier_id INTEGER NOT NULL, ts REAL NOT NULL, id TEXT NOT NULL, channel TEXT, topic TEXT, sentiment TEXT,
    PRIMARY KEY (dossier_id, ts, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dossier_signal_id ON dossier_signal (id, dossier_id);
CREATE VIRTUAL TABLE IF NOT EXISTS signal_text USING fts5(
    text, content='signals', content_rowid='rowid', tokenize='trigram');
"""

# Dead letters keep a redacted record with the raw record's size and hash; rows written before are scrubbed.
# `purges` records each purge, so example texts kept for alerts can be blanked once their signal is gone.
DEADLETTER_FINGERPRINT = """
ALTER TABLE deadletters ADD COLUMN raw_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deadletters ADD COLUMN raw_sha256 TEXT NOT NULL DEFAULT '';
UPDATE deadletters SET raw = '[verwijderd]', reason = '[verwijderd]';
CREATE TABLE IF NOT EXISTS purges (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    cutoff REAL NOT NULL,
    at TEXT NOT NULL
)
"""

# What duty officers did with an alert: acknowledged, closed or a note, with time and account.
ALERT_NOTES = """
CREATE TABLE IF NOT EXISTS alert_notes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL,
    action TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    account TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_notes_alert ON alert_notes (alert_id, seq);
"""

# Advisers' corrections of a message's topic and sentiment, with time and account; `was_*` keep what the
# pipeline said when the correction was made. Only labels are kept here: the (redacted) text stays in `signals`.
CORRECTIONS = """
CREATE TABLE IF NOT EXISTS corrections (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    signal_id TEXT NOT NULL,
    topic TEXT,
    sentiment TEXT CHECK (sentiment IS NULL OR sentiment IN ('negative', 'neutral', 'positive')),
    was_topic TEXT,
    was_sentiment TEXT,
    account TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS corrections_signal ON corrections (signal_id, seq);
CREATE INDEX IF NOT EXISTS corrections_at ON corrections (at)
"""

# Dashboard at scale: hourly counts of each saved dossier's signals per channel, topic and sentiment (the rollup of
# `dossier_signal`), hourly counts per channel, topic, sentiment and neighbourhood (the live page's selections),
# both filled by the advisers' back-fill and kept per batch; an index for a neighbourhood over time, and a covering
# index for the open messages.
DASHBOARD_ROLLUPS = """
CREATE TABLE IF NOT EXISTS dossier_hour (
    dossier_id INTEGER NOT NULL, hour REAL NOT NULL, channel TEXT NOT NULL, topic TEXT NOT NULL,
    sentiment TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (dossier_id, hour, channel, topic, sentiment)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS signal_cube (
    hour REAL NOT NULL, channel TEXT NOT NULL, topic TEXT NOT NULL, sentiment TEXT NOT NULL, place TEXT NOT NULL,
    n INTEGER NOT NULL, searches INTEGER NOT NULL, zero INTEGER NOT NULL,
    PRIMARY KEY (hour, channel, topic, sentiment, place)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS signals_place_ts ON signals (place, ts) WHERE place IS NOT NULL;
CREATE INDEX IF NOT EXISTS signal_flags_open ON signal_flags (attention, handled, deleted, channel, ts)
"""

# Dossier reports over long periods: each saved dossier's signals per UTC day (channel, topic, sentiment) and per hour
# and sentiment alone, both sums of `dossier_hour` and filled from it here; and its members' keyword terms per hour
# (from `dossier_signal` and `signal_terms`). All are kept in step with the membership. `signal_day` and `search_day`
# hold the sums of `signal_hour` and `search_hour` per UTC day, for periods of weeks and months; they are filled from
# them here and kept with them.
DOSSIER_ROLLUPS = """
CREATE TABLE IF NOT EXISTS dossier_day (
    dossier_id INTEGER NOT NULL, day REAL NOT NULL, channel TEXT NOT NULL, topic TEXT NOT NULL,
    sentiment TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (dossier_id, day, channel, topic, sentiment)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dossier_tone_hour (
    dossier_id INTEGER NOT NULL, hour REAL NOT NULL, sentiment TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (dossier_id, hour, sentiment)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dossier_term_hour (
    dossier_id INTEGER NOT NULL, hour REAL NOT NULL, term TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (dossier_id, hour, term)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS signal_day (
    dim TEXT NOT NULL, key TEXT NOT NULL, day REAL NOT NULL, n INTEGER NOT NULL, stored INTEGER NOT NULL,
    PRIMARY KEY (dim, key, day)) WITHOUT ROWID;
INSERT INTO signal_day (dim, key, day, n, stored)
    SELECT dim, key, CAST(hour / 86400 AS INTEGER) * 86400
        - CASE WHEN hour < CAST(hour / 86400 AS INTEGER) * 86400 THEN 86400 ELSE 0 END,
        SUM(n), SUM(stored) FROM signal_hour GROUP BY 1, 2, 3;
CREATE TABLE IF NOT EXISTS search_day (
    day REAL NOT NULL, grp TEXT NOT NULL, form TEXT NOT NULL, searches INTEGER NOT NULL, zero INTEGER NOT NULL,
    PRIMARY KEY (day, grp, form)) WITHOUT ROWID;
INSERT INTO search_day (day, grp, form, searches, zero)
    SELECT CAST(hour / 86400 AS INTEGER) * 86400
        - CASE WHEN hour < CAST(hour / 86400 AS INTEGER) * 86400 THEN 86400 ELSE 0 END,
        grp, form, SUM(searches), SUM(zero) FROM search_hour GROUP BY 1, 2, 3;
INSERT INTO dossier_day (dossier_id, day, channel, topic, sentiment, n)
    SELECT dossier_id, CAST(hour / 86400 AS INTEGER) * 86400
        - CASE WHEN hour < CAST(hour / 86400 AS INTEGER) * 86400 THEN 86400 ELSE 0 END,
        channel, topic, sentiment, SUM(n) FROM dossier_hour GROUP BY 1, 2, 3, 4, 5 HAVING SUM(n) <> 0;
INSERT INTO dossier_tone_hour (dossier_id, hour, sentiment, n)
    SELECT dossier_id, hour, sentiment, SUM(n) FROM dossier_hour GROUP BY 1, 2, 3 HAVING SUM(n) <> 0;
INSERT INTO dossier_term_hour (dossier_id, hour, term, n)
    SELECT m.dossier_id, CAST(m.ts / 3600 AS INTEGER) * 3600
        - CASE WHEN m.ts < CAST(m.ts / 3600 AS INTEGER) * 3600 THEN 3600 ELSE 0 END,
        t.term, COUNT(*) FROM dossier_signal m JOIN signal_terms t ON t.id = m.id GROUP BY 1, 2, 3
"""

# Version n is reached by running the scripts of every version up to n, in order, once per file (under the
# write lock); scripts 1 and 2 are idempotent, later ones rely on running once.
MIGRATIONS: tuple[tuple[int, str], ...] = (
    (1, SIGNALS),
    (2, ALERTS + CONNECTOR_STATUS + SEARCH_REVIEW + ADVISERS),
    (3, DEADLETTER_FINGERPRINT),
    (4, ALERT_NOTES),
    (5, CORRECTIONS),
    (6, DASHBOARD_ROLLUPS),
    (7, DOSSIER_ROLLUPS),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def statements(script: str) -> list[str]:
    """The SQL statements of a script (none of ours holds a semicolon inside a statement)."""
    return [part.strip() for part in script.split(";") if part.strip()]


def is_transient_lock_error(err: sqlite3.OperationalError) -> bool:
    """True for the lock errors SQLite answers at once while another process sets up a new WAL file."""
    text = str(err)
    return "locked" in text or "locking protocol" in text


def retry_on_transient_lock(action: Callable[[], T], within: float = LOCK_RETRY_SECONDS) -> T:
    """`action()`, started again (backing off up to half a second) while SQLite answers with a transient lock
    error, for at most `within` seconds; any other error, or one past the deadline, is raised."""
    deadline = time.monotonic() + within
    backoff = Backoff(initial=0.01, maximum=0.5)
    while True:
        try:
            return action()
        except sqlite3.OperationalError as err:
            delay = backoff.next_delay()
            if not is_transient_lock_error(err) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)


def begin_write(conn: sqlite3.Connection, within: float = LOCK_RETRY_SECONDS) -> None:
    """BEGIN IMMEDIATE, retried while another process holds the new file's WAL locks."""
    retry_on_transient_lock(lambda: conn.execute("BEGIN IMMEDIATE"), within)


def schema_version(conn: sqlite3.Connection) -> int:
    """The migration version the file is at (0 for a new file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the store file up to SCHEMA_VERSION under the write lock; safe when several processes open it at once.

    Returns the version the file was at before. A file from a newer release is refused with a clear error.
    """
    try:
        before = schema_version(conn)
    except sqlite3.OperationalError as err:
        if not is_transient_lock_error(err):
            raise
        before = -1   # read again under the write lock
    if before == SCHEMA_VERSION:
        return before
    if before > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"the store was written by a newer release (schema {before}, this release "
                                    f"knows up to {SCHEMA_VERSION}); upgrade Stadssignaal")
    in_transaction = conn.in_transaction
    if not in_transaction:
        begin_write(conn)
    try:
        before = schema_version(conn)  # another process may have migrated while we waited for the lock
        if before > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"the store was written by a newer release (schema {before}); "
                                        "upgrade Stadssignaal")
        for version, script in MIGRATIONS:
            if version > before:
                for statement in statements(script):
                    conn.execute(statement)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except BaseException:
        if not in_transaction:
            conn.rollback()
        raise
    if not in_transaction:
        conn.commit()
    return before

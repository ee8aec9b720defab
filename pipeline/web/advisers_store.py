"""Side tables of the advisers' pages in the store file: dossiers, keyword terms, flags and a trigram text index.

`signal_terms`, `signal_flags` and `signal_text` (FTS5 trigram) are kept in step with `signals` by triggers,
so the runner fills them in its own transaction without knowing about them. `ensure_schema` creates what is
missing and back-fills once; it is safe to call on every start.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.sinks.sqlite_store import connect

log = logging.getLogger(__name__)

SCHEMA_KEY = "advisers_schema"
SCHEMA_VERSION = "4"
CHANNELS_ADDRESSED = ("email", "webform", "whatsapp")  # sent to the municipality by nature
SOCIAL_CHANNELS = ("twitter", "facebook")

_TABLES = """
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
CREATE VIRTUAL TABLE IF NOT EXISTS signal_text USING fts5(
    text, content='signals', content_rowid='rowid', tokenize='trigram');
"""

_TRUE = "IN (1, 'true', 'yes')"


def _sql_literal(text: str) -> str:
    """A SQL string literal for `text` (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def attention_expression(account: str, row: str = "NEW") -> str:
    """SQL (over trigger row `row`) that is 1 when a signal is a question or complaint addressed to the municipality."""
    meta = f"json_extract({row}.doc, '$.meta.%s')"
    mention = f"instr(lower({row}.text), {_sql_literal(account.lower())}) > 0" if account else "0"
    social = (f"({row}.channel IN {SOCIAL_CHANNELS!r} AND ({mention} OR {meta % 'in_reply_to_municipality'} {_TRUE} "
              f"OR {meta % 'reply_to_municipality'} {_TRUE}) AND (instr({row}.text, '?') > 0 "
              f"OR {row}.sentiment = 'negative'))")
    calls = f"({row}.channel = 'call_note' AND {meta % 'callback'} {_TRUE})"
    direct = f"({row}.channel IN {CHANNELS_ADDRESSED!r})"
    return f"coalesce(({social} OR {calls} OR {direct}), 0)"


def handled_expression(row: str = "NEW") -> str:
    """SQL that is 1 when the source says the municipality answered (reply from its account, or called back)."""
    meta = f"json_extract({row}.doc, '$.meta.%s')"
    return (f"coalesce(CASE WHEN {row}.channel = 'call_note' THEN {meta % 'called_back'} {_TRUE} "
            f"ELSE {meta % 'replied_by_municipality'} {_TRUE} END, 0)")


def _insert_side_rows(account: str, row: str = "NEW") -> str:
    """Statements that add the terms, flags and text-index entry of one signal row."""
    deleted = f"coalesce(json_extract({row}.doc, '$.meta.deleted') {_TRUE}, 0)"
    attention = attention_expression(account, row)
    return f"""
    INSERT OR IGNORE INTO signal_terms (term, ts, id)
        SELECT DISTINCT lower(value), {row}.ts, {row}.id FROM json_each({row}.doc, '$.keywords')
        WHERE type = 'text' AND length(value) BETWEEN 2 AND 60;
    INSERT OR REPLACE INTO signal_flags (id, ts, channel, topic, sentiment, place, deleted, attention, handled)
        SELECT {row}.id, {row}.ts, {row}.channel, {row}.topic, {row}.sentiment, {row}.place, {deleted},
               {attention}, {handled_expression(row)}
        WHERE {deleted} OR {attention};
    INSERT INTO signal_text (rowid, text) VALUES ({row}.rowid, {row}.text);"""


def _remove_side_rows(row: str = "OLD") -> str:
    """Statements that drop the terms, flags and text-index entry of one signal row."""
    return f"""
    DELETE FROM signal_terms WHERE id = {row}.id;
    DELETE FROM signal_flags WHERE id = {row}.id;
    INSERT INTO signal_text (signal_text, rowid, text) VALUES ('delete', {row}.rowid, {row}.text);"""


def _trigger_sql(account: str) -> list[str]:
    """CREATE TRIGGER statements keeping the side tables in step with `signals`."""
    return [
        f"CREATE TRIGGER IF NOT EXISTS advisers_ai AFTER INSERT ON signals BEGIN {_insert_side_rows(account)} END",
        f"CREATE TRIGGER IF NOT EXISTS advisers_ad AFTER DELETE ON signals BEGIN {_remove_side_rows()} END",
        f"CREATE TRIGGER IF NOT EXISTS advisers_au AFTER UPDATE ON signals BEGIN {_remove_side_rows()} "
        f"{_insert_side_rows(account)} END",
    ]


def _backfill(conn: sqlite3.Connection, account: str) -> None:
    """Fill the side tables from the signals already stored."""
    deleted = f"coalesce(json_extract(s.doc, '$.meta.deleted') {_TRUE}, 0)"
    attention = attention_expression(account, "s")
    conn.execute("DELETE FROM signal_terms")
    conn.execute("DELETE FROM signal_flags")
    conn.execute("INSERT INTO signal_text (signal_text) VALUES ('delete-all')")
    conn.execute("INSERT OR IGNORE INTO signal_terms (term, ts, id) SELECT DISTINCT lower(j.value), s.ts, s.id "
                 "FROM signals s, json_each(s.doc, '$.keywords') j "
                 "WHERE j.type = 'text' AND length(j.value) BETWEEN 2 AND 60")
    conn.execute(f"INSERT OR REPLACE INTO signal_flags SELECT s.id, s.ts, s.channel, s.topic, s.sentiment, s.place, "
                 f"{deleted}, {attention}, {handled_expression('s')} FROM signals s WHERE {deleted} OR {attention}")
    conn.execute("INSERT INTO signal_text (signal_text) VALUES ('rebuild')")


def ensure_schema(path: str | Path, account: str) -> bool:
    """Create the side tables and triggers when missing (back-filling once); False when the store is absent."""
    path = Path(path)
    if not path.is_file():
        return False
    conn = connect(path)
    try:
        has_signals = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='signals'").fetchone()
        if not has_signals:
            return False
        wanted = json.dumps({"version": SCHEMA_VERSION, "account": account.lower()})
        conn.executescript(_TABLES)
        row = conn.execute("SELECT value FROM advisers_meta WHERE key = ?", (SCHEMA_KEY,)).fetchone()
        if row is not None and row[0] == wanted:
            return True
        begin = time.perf_counter()
        with conn:
            for name in ("advisers_ai", "advisers_ad", "advisers_au"):
                conn.execute(f"DROP TRIGGER IF EXISTS {name}")
            for statement in _trigger_sql(account):
                conn.execute(statement)
            _backfill(conn, account)
            conn.execute("INSERT OR REPLACE INTO advisers_meta (key, value) VALUES (?, ?)", (SCHEMA_KEY, wanted))
        log.info("advisers' side tables ready in %.1f s", time.perf_counter() - begin)
        return True
    finally:
        conn.close()


class SchemaKeeper:
    """Calls ensure_schema until it succeeds (the runner may create the store after the dashboard starts)."""

    def __init__(self, path: str | Path, account: str) -> None:
        """Remember the store and the municipality's account; nothing is opened yet."""
        self.path = Path(path)
        self.account = account
        self.ready = False

    def ensure(self) -> bool:
        """True once the side tables exist; errors are logged, never raised."""
        if not self.ready:
            try:
                self.ready = ensure_schema(self.path, self.account)
            except sqlite3.Error as err:
                log.error("cannot prepare the advisers' tables in %s: %s", self.path, err)
        return self.ready


@dataclass(frozen=True, slots=True)
class Dossier:
    """A saved watch: keywords and/or topics, channels, an optional neighbourhood and period (unix seconds)."""

    name: str
    keywords: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    place: str | None = None
    start: float | None = None
    end: float | None = None
    id: int | None = None
    created_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {"id": self.id, "name": self.name, "keywords": list(self.keywords), "topics": list(self.topics),
                "channels": list(self.channels), "place": self.place, "start": self.start, "end": self.end,
                "created_at": self.created_at}


def dossier_from_row(row: Any) -> Dossier:
    """A Dossier from a `dossiers` row (id, name, keywords, topics, channels, place, start_ts, end_ts, created_at)."""
    def names(raw: str) -> tuple[str, ...]:
        try:
            value = json.loads(raw or "[]")
        except ValueError:
            return ()
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    sid, name, keywords, topics, channels, place, start, end, created = tuple(row)
    return Dossier(name=name, keywords=names(keywords), topics=names(topics), channels=names(channels), place=place,
                   start=start, end=end, id=sid, created_at=created)


def save_dossier(path: str | Path, dossier: Dossier) -> Dossier:
    """Insert a new dossier (or replace the one with dossier.id) and return it with its id."""
    conn = connect(Path(path))
    try:
        conn.executescript(_TABLES)
        values = (dossier.name, json.dumps(list(dossier.keywords), ensure_ascii=False),
                  json.dumps(list(dossier.topics)), json.dumps(list(dossier.channels)), dossier.place,
                  dossier.start, dossier.end)
        with conn:
            if dossier.id is None:
                created = time.time()
                cur = conn.execute("INSERT INTO dossiers (name, keywords, topics, channels, place, start_ts, end_ts, "
                                   "created_at) VALUES (?,?,?,?,?,?,?,?)", (*values, created))
                sid = int(cur.lastrowid or 0)
            else:
                cur = conn.execute("UPDATE dossiers SET name=?, keywords=?, topics=?, channels=?, place=?, start_ts=?, "
                                   "end_ts=? WHERE id=?", (*values, dossier.id))
                if cur.rowcount == 0:
                    raise KeyError(f"no dossier with id {dossier.id}")
                sid = dossier.id
        row = conn.execute("SELECT id, name, keywords, topics, channels, place, start_ts, end_ts, created_at "
                           "FROM dossiers WHERE id = ?", (sid,)).fetchone()
        return dossier_from_row(row)
    finally:
        conn.close()


def delete_dossier(path: str | Path, dossier_id: int) -> bool:
    """Remove a dossier; False when there was none with that id."""
    conn = connect(Path(path))
    try:
        conn.executescript(_TABLES)
        with conn:
            return conn.execute("DELETE FROM dossiers WHERE id = ?", (dossier_id,)).rowcount > 0
    finally:
        conn.close()

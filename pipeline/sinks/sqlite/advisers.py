"""Side tables of the advisers' pages in the store file: dossiers, keyword terms, flags, a trigram text index and
the membership of saved dossiers.

`signal_terms`, `signal_flags`, `signal_text` (FTS5 trigram) and `dossier_signal` are kept in step with `signals`
by `SqliteStore.write` per batch (`pipeline.sinks.sqlite.side_rows`), in the runner's own transaction. `ensure_schema`
creates what is missing, drops the triggers of older versions and back-fills once; it is safe to call on every
start. Saving a dossier fills its membership from the stored signals in the same transaction.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.sinks.sqlite.like import like_pattern
from pipeline.sinks.sqlite.rollups import (
    forget_dossier_counts,
    rebuild_cube,
    rebuild_dossier_hours,
    rebuild_signal_days,
)
from pipeline.sinks.sqlite.schema import migrate
from pipeline.sinks.sqlite.side_rows import (
    CHANNELS_ADDRESSED,
    NULL_KEY,
    ROLLUP_DIMENSIONS,
    SCHEMA_KEY,
    SCHEMA_VERSION,
    SEARCH_CHANNEL,
    SOCIAL_CHANNELS,
    hour_sql,
)
from pipeline.sinks.sqlite.store import connect

log = logging.getLogger(__name__)

OLD_TRIGGERS = ("advisers_ai", "advisers_ad", "advisers_au")
# The side rows of version 4 (kept by triggers) are the same as now: an upgrade keeps them.
SAME_SIDE_ROWS = ("4", "5", SCHEMA_VERSION)


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


def _backfill(conn: sqlite3.Connection, account: str) -> None:
    """Fill the terms, flags and text index from the signals already stored."""
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


def backfill_hours(conn: sqlite3.Connection) -> None:
    """Rebuild `signal_hour` (signals per hour and channel / topic / sentiment; `n` leaves deleted ones out),
    `search_hour` (site searches with a known result count per hour, group and form), their daily sums
    `signal_day` and `search_day`, and `term_hour` (keyword rows per hour and term, deleted signals included like
    `signal_terms`) from the stored rows."""
    begin = time.perf_counter()
    conn.execute("DELETE FROM signal_hour")
    for dim in ROLLUP_DIMENSIONS:
        key = f"coalesce({dim}, ?)"
        insert = f"INSERT INTO signal_hour (dim, key, hour, n, stored) SELECT ?, {key}, {hour_sql('ts')}"
        conn.execute(f"{insert}, COUNT(*), COUNT(*) FROM signals GROUP BY 2, 3", (dim, NULL_KEY))
        conn.execute(f"{insert}, -COUNT(*), 0 FROM signal_flags WHERE deleted = 1 GROUP BY 2, 3 "
                     f"ON CONFLICT(dim, key, hour) DO UPDATE SET n = n + excluded.n", (dim, NULL_KEY))
    conn.execute("DELETE FROM search_hour")
    form = "CASE WHEN query_normalized IS NULL OR query_normalized = '' THEN query_group ELSE query_normalized END"
    conn.execute(f"INSERT INTO search_hour (hour, grp, form, searches, zero) SELECT {hour_sql('ts')}, query_group, "
                 f"{form}, COUNT(*), SUM(zero_result) FROM signals WHERE channel = ? AND zero_result IS NOT NULL "
                 f"AND query_group IS NOT NULL GROUP BY 1, 2, 3", (SEARCH_CHANNEL,))
    rebuild_signal_days(conn)
    conn.execute("DELETE FROM term_hour")
    conn.execute(f"INSERT INTO term_hour (hour, term, n) SELECT {hour_sql('ts')}, term, COUNT(*) FROM signal_terms "
                 f"GROUP BY 1, 2")
    rebuild_cube(conn)
    log.info("hourly counts built in %.1f s", time.perf_counter() - begin)


def _side_rows_current(stored: str | None, account: str) -> bool:
    """True when the terms, flags and text index were built (by this or the previous version) for `account`."""
    try:
        meta = json.loads(stored) if stored else {}
    except ValueError:
        return False
    return isinstance(meta, dict) and meta.get("version") in SAME_SIDE_ROWS and meta.get("account") == account.lower()


def _membership_sql(dossier: "Dossier") -> tuple[str, list[Any]]:
    """INSERT ... SELECT adding the stored signals of one dossier to `dossier_signal` (LIKE semantics, like
    side_rows.DossierRule); deleted signals are left out."""
    parts = ["s.id NOT IN (SELECT id FROM signal_flags WHERE deleted = 1)"]
    params: list[Any] = [dossier.id]
    if dossier.keywords:
        parts.append("(" + " OR ".join(["s.text LIKE ? ESCAPE '\\'"] * len(dossier.keywords)) + ")")
        params.extend(like_pattern(k) for k in dossier.keywords)
    for column, values in (("topic", dossier.topics), ("channel", dossier.channels)):
        if values:
            parts.append(f"s.{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    if dossier.place:
        parts.append("s.place = ?")
        params.append(dossier.place)
    sql = ("INSERT OR IGNORE INTO dossier_signal (dossier_id, ts, id, channel, topic, sentiment) "
           f"SELECT ?, s.ts, s.id, s.channel, s.topic, s.sentiment FROM signals s WHERE {' AND '.join(parts)}")
    return sql, params


def backfill_dossier(conn: sqlite3.Connection, dossier: "Dossier") -> int:
    """(Re)build the membership of one saved dossier from the stored signals; returns how many signals match."""
    begin = time.perf_counter()
    conn.execute("DELETE FROM dossier_signal WHERE dossier_id = ?", (dossier.id,))
    sql, params = _membership_sql(dossier)
    added = conn.execute(sql, params).rowcount
    rebuild_dossier_hours(conn, int(dossier.id or 0))
    log.info("dossier %s: %d signals matched in %.1f s", dossier.id, added, time.perf_counter() - begin)
    return added


def _backfill_all_dossiers(conn: sqlite3.Connection) -> None:
    """Rebuild the membership of every saved dossier."""
    conn.execute("DELETE FROM dossier_signal")
    forget_dossier_counts(conn)
    rows = conn.execute("SELECT id, name, keywords, topics, channels, place, start_ts, end_ts, created_at "
                        "FROM dossiers").fetchall()
    for row in rows:
        backfill_dossier(conn, dossier_from_row(row))


def schema_marker(account: str) -> tuple[str, str]:
    """The (key, value) row of `advisers_meta` saying the side tables are current and built for `account`."""
    return SCHEMA_KEY, json.dumps({"version": SCHEMA_VERSION, "account": account.lower()})


def ensure_schema(path: str | Path, account: str) -> bool:
    """Create the side tables when missing and back-fill once (dropping old triggers); False without a store."""
    path = Path(path)
    if not path.is_file():
        return False
    conn = connect(path)
    try:
        has_signals = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='signals'").fetchone()
        if not has_signals:
            return False
        wanted = schema_marker(account)[1]
        migrate(conn)
        row = conn.execute("SELECT value FROM advisers_meta WHERE key = ?", (SCHEMA_KEY,)).fetchone()
        if row is not None and row[0] == wanted:
            return True
        begin = time.perf_counter()
        with conn:
            for name in OLD_TRIGGERS:
                conn.execute(f"DROP TRIGGER IF EXISTS {name}")
            if not _side_rows_current(row[0] if row else None, account):
                log.info("building the advisers' side tables of %s (terms, flags, text index) ...", path)
                _backfill(conn, account)
            backfill_hours(conn)
            _backfill_all_dossiers(conn)
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
        migrate(conn)
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
            if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='signals'").fetchone():
                row = conn.execute("SELECT id, name, keywords, topics, channels, place, start_ts, end_ts, created_at "
                                   "FROM dossiers WHERE id = ?", (sid,)).fetchone()
                backfill_dossier(conn, dossier_from_row(row))
        row = conn.execute("SELECT id, name, keywords, topics, channels, place, start_ts, end_ts, created_at "
                           "FROM dossiers WHERE id = ?", (sid,)).fetchone()
        return dossier_from_row(row)
    finally:
        conn.close()


def delete_dossier(path: str | Path, dossier_id: int) -> bool:
    """Remove a dossier; False when there was none with that id."""
    conn = connect(Path(path))
    try:
        migrate(conn)
        with conn:
            conn.execute("DELETE FROM dossier_signal WHERE dossier_id = ?", (dossier_id,))
            forget_dossier_counts(conn, dossier_id)
            return conn.execute("DELETE FROM dossiers WHERE id = ?", (dossier_id,)).rowcount > 0
    finally:
        conn.close()

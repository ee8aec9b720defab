"""The advisers' side rows of a written batch, computed in Python and written with executemany.

Once the dashboard has added its side tables to a store (`pipeline.sinks.sqlite.advisers.ensure_schema`),
every `SqliteStore.write` keeps them in step in the same transaction: keyword terms, flags (deleted /
addressed to the municipality / answered), the trigram text index and the membership of saved dossiers.
This replaces per-row SQL triggers, which parsed each doc's JSON several times and made writes ~10x slower.
The rules mirror the SQL of `advisers_store` (`attention_expression`, `handled_expression`) exactly.
"""
from __future__ import annotations

import json
import logging
import math
import sqlite3
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from pipeline.sinks.sqlite.rollups import NULL_KEY, RollupDeltas, day_of, hour_sql, take_back_members

__all__ = ["NULL_KEY", "hour_sql"]  # re-exported for the modules that count per hour

log = logging.getLogger(__name__)

SCHEMA_KEY = "advisers_schema"
SCHEMA_VERSION = "6"  # 5: side rows written per batch by SqliteStore (no triggers), dossier membership; 6: rollups
WRITABLE_VERSIONS = ("5", SCHEMA_VERSION)  # side rows kept per batch (a version-5 store is upgraded by ensure_schema)
CHANNELS_ADDRESSED = ("email", "webform", "whatsapp")  # sent to the municipality by nature
SOCIAL_CHANNELS = ("twitter", "facebook")
ROLLUP_DIMENSIONS = ("channel", "topic", "sentiment")
HOUR = 3_600
SEARCH_CHANNEL = "site_search"
ID_CHUNK = 500  # ids per `IN (...)` lookup, well below SQLite's parameter limit
Rows = list[tuple[Any, ...]]  # signal rows as sqlite_store.signal_row makes them
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """Lower-case A-Z only, like SQLite's lower() and LIKE (other letters keep their case)."""
    return text.translate(_ASCII_LOWER)


def is_true(value: Any) -> bool:
    """Python form of SQL `json_extract(...) IN (1, 'true', 'yes')`."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value == 1
    return value in ("true", "yes")


def hour_of(ts: float) -> float:
    """The start of the UTC hour holding `ts`."""
    return float(math.floor(ts / HOUR) * HOUR)


def _meta(doc: dict[str, Any]) -> dict[str, Any]:
    """The doc's `meta` object, or {} when absent or not an object."""
    meta = doc.get("meta")
    return meta if isinstance(meta, dict) else {}


def is_deleted(doc: dict[str, Any]) -> bool:
    """True when the source says the message was deleted (`meta.deleted`)."""
    return is_true(_meta(doc).get("deleted"))


def needs_attention(channel: str, text: str, sentiment: str | None, doc: dict[str, Any], account: str) -> bool:
    """A question or complaint addressed to the municipality (same rule as advisers_store.attention_expression)."""
    meta = _meta(doc)
    if channel in SOCIAL_CHANNELS:
        mention = bool(account) and account.lower() in ascii_lower(text)
        replying = is_true(meta.get("in_reply_to_municipality")) or is_true(meta.get("reply_to_municipality"))
        addressed = mention or replying
        return addressed and ("?" in text or sentiment == "negative")
    if channel == "call_note":
        return is_true(meta.get("callback"))
    return channel in CHANNELS_ADDRESSED


def is_handled(channel: str, doc: dict[str, Any]) -> bool:
    """The source says the municipality answered: called back (call notes) or replied from its account."""
    meta = _meta(doc)
    return is_true(meta.get("called_back") if channel == "call_note" else meta.get("replied_by_municipality"))


def doc_terms(doc: dict[str, Any]) -> list[str]:
    """The doc's keywords as stored terms: text values of 2..60 characters, ASCII-lower-cased, each once."""
    raw = doc.get("keywords")
    if isinstance(raw, dict):
        values: list[Any] = list(raw.values())
    elif isinstance(raw, str):
        values = [raw]
    elif isinstance(raw, (list, tuple)):
        values = list(raw)
    else:
        return []
    seen: dict[str, None] = {}
    for value in values:
        if isinstance(value, str) and 2 <= len(value) <= 60:
            seen.setdefault(ascii_lower(value), None)
    return list(seen)


@dataclass(frozen=True, slots=True)
class DossierRule:
    """The watch of one saved dossier in matchable form (keywords ASCII-lower-cased, sets of names)."""

    id: int
    keywords: tuple[str, ...]
    topics: frozenset[str]
    channels: frozenset[str]
    place: str | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> "DossierRule":
        """From (id, keywords JSON, topics JSON, channels JSON, place)."""
        sid, keywords, topics, channels, place = tuple(row)
        return cls(int(sid), tuple(ascii_lower(k) for k in _names(keywords)), frozenset(_names(topics)),
                   frozenset(_names(channels)), place)

    def matches(self, lowered_text: str, channel: str, topic: str | None, place: str | None) -> bool:
        """Any keyword in the text (LIKE semantics) AND one of the topics, channels and the place when given."""
        if self.keywords and not any(k in lowered_text for k in self.keywords):
            return False
        if self.topics and topic not in self.topics:
            return False
        if self.channels and channel not in self.channels:
            return False
        return not self.place or place == self.place


def _names(raw: Any) -> list[str]:
    """A JSON list of names (as stored in `dossiers`), [] when unreadable."""
    try:
        value = json.loads(raw or "[]")
    except (TypeError, ValueError):
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def side_tables_account(conn: sqlite3.Connection) -> str | None:
    """The municipality account the side tables were built for; None when the store has no (current) side tables.

    Older versions kept the side tables with triggers, which keep working until ensure_schema upgrades them.
    """
    try:
        row = conn.execute("SELECT value FROM advisers_meta WHERE key = ?", (SCHEMA_KEY,)).fetchone()
    except sqlite3.OperationalError:
        return None
    if row is None:
        return None
    try:
        meta = json.loads(row[0])
        return str(meta.get("account") or "") if meta.get("version") in WRITABLE_VERSIONS else None
    except (ValueError, AttributeError):
        return None


def rollups_ready(conn: sqlite3.Connection) -> bool:
    """True when the store's side tables include current `signal_cube` and `dossier_hour` rollups."""
    try:
        row = conn.execute("SELECT value FROM advisers_meta WHERE key = ?", (SCHEMA_KEY,)).fetchone()
        return row is not None and json.loads(row[0]).get("version") == SCHEMA_VERSION
    except (sqlite3.OperationalError, ValueError, AttributeError):
        return False


def dossier_rules(conn: sqlite3.Connection) -> list[DossierRule]:
    """Every saved dossier as a DossierRule ([] when the table does not exist)."""
    try:
        rows = conn.execute("SELECT id, keywords, topics, channels, place FROM dossiers").fetchall()
    except sqlite3.OperationalError:
        return []
    return [DossierRule.from_row(r) for r in rows]


def _chunks(items: Sequence[Any], size: int = ID_CHUNK) -> Iterator[Sequence[Any]]:
    """`items` in slices of at most `size`."""
    for begin in range(0, len(items), size):
        yield items[begin:begin + size]


@dataclass(frozen=True, slots=True)
class StoredRow:
    """What the side rows need of a signal already in the store: its rowid, text and rollup keys."""

    rowid: int
    text: str
    ts: float
    keys: tuple[str | None, str | None, str | None]  # channel, topic, sentiment
    deleted: bool
    search: tuple[str, str, int] | None  # see search_key
    place: str | None = None
    zero: int | None = None


def search_key(channel: str, normalized: str | None, group: str | None,
               zero: int | None) -> tuple[str, str, int] | None:
    """(group, form, zero-result 0/1) of a site search with a known result count, else None; the form is the
    normalized query, or the group when that is empty."""
    if channel != SEARCH_CHANNEL or group is None or zero is None:
        return None
    return (group, normalized or group, int(zero))


def existing_rows(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, StoredRow]:
    """id -> StoredRow of the given ids already in `signals`."""
    found: dict[str, StoredRow] = {}
    for part in _chunks(ids):
        sql = (f"SELECT s.id, s.rowid, s.text, s.ts, s.channel, s.topic, s.sentiment, coalesce(f.deleted, 0), "
               f"s.query_normalized, s.query_group, s.zero_result, s.place "
               f"FROM signals s LEFT JOIN signal_flags f ON f.id = s.id WHERE s.id IN ({','.join('?' * len(part))})")
        for sid, rowid, text, ts, channel, topic, sentiment, deleted, normalized, group, zero, place in conn.execute(
                sql, list(part)):
            found[sid] = StoredRow(rowid, text, ts, (channel, topic, sentiment), bool(deleted),
                                   search_key(channel, normalized, group, zero), place, zero)
    return found


def rowids_of(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, int]:
    """id -> rowid in `signals` for the given ids."""
    found: dict[str, int] = {}
    for part in _chunks(ids):
        sql = f"SELECT id, rowid FROM signals WHERE id IN ({','.join('?' * len(part))})"
        found.update(conn.execute(sql, list(part)).fetchall())
    return found


class SideRowWriter:
    """Writes the side rows of one batch inside the caller's transaction (before and after its signals upsert)."""

    def __init__(self, conn: sqlite3.Connection, account: str) -> None:
        """Bind to the store's write connection and the municipality account of the side tables."""
        self.conn = conn
        self.account = account

    def remove_old(self, old: dict[str, StoredRow]) -> None:
        """Drop terms, flags, text-index entries, dossier membership and hourly counts of signals about to be
        overwritten."""
        if not old:
            return
        ids = [(sid,) for sid in old]
        term_deltas: dict[tuple[float, str], int] = {}
        for part in _chunks(list(old)):
            sql = f"SELECT term, ts FROM signal_terms WHERE id IN ({','.join('?' * len(part))})"
            for term, ts in self.conn.execute(sql, list(part)):
                key = (hour_of(ts), term)
                term_deltas[key] = term_deltas.get(key, 0) - 1
        rollups = RollupDeltas()
        take_back_members(self.conn, list(old), rollups, hour_of)
        for row in old.values():
            if not row.deleted:
                rollups.count_signal(hour_of(row.ts), *row.keys, row.place, row.zero, -1)
        rollups.write(self.conn)
        self.conn.executemany("DELETE FROM signal_terms WHERE id = ?", ids)
        self.conn.executemany("DELETE FROM signal_flags WHERE id = ?", ids)
        self.conn.executemany("DELETE FROM dossier_signal WHERE id = ?", ids)
        self.conn.executemany("INSERT INTO signal_text (signal_text, rowid, text) VALUES ('delete', ?, ?)",
                              [(row.rowid, row.text) for row in old.values()])
        deltas: dict[tuple[str, str, float], list[int]] = {}
        searches: dict[tuple[float, str, str], list[int]] = {}
        for row in old.values():
            _count(deltas, row.ts, row.keys, -1, row.deleted)
            _count_search(searches, row.ts, row.search, -1)
        self._add_hours(deltas, searches, term_deltas)

    def _add_hours(self, deltas: dict[tuple[str, str, float], list[int]],
                   searches: dict[tuple[float, str, str], list[int]], terms: dict[tuple[float, str], int]) -> None:
        """Add per-hour changes to `signal_hour` and `search_hour` (and their daily sums `signal_day`, `search_day`)
        and `term_hour` (one upsert per key)."""
        self.conn.executemany(
            "INSERT INTO term_hour (hour, term, n) VALUES (?,?,?) ON CONFLICT(hour, term) DO UPDATE SET n = n + excluded.n",
            [(hour, term, n) for (hour, term), n in terms.items() if n])
        self.conn.executemany(
            "INSERT INTO signal_hour (dim, key, hour, n, stored) VALUES (?,?,?,?,?) "
            "ON CONFLICT(dim, key, hour) DO UPDATE SET n = n + excluded.n, stored = stored + excluded.stored",
            [(dim, key, hour, n, stored) for (dim, key, hour), (n, stored) in deltas.items() if n or stored])
        days: dict[tuple[str, str, float], list[int]] = {}
        for (dim, key, hour), (n, stored) in deltas.items():
            entry = days.setdefault((dim, key, day_of(hour)), [0, 0])
            entry[0] += n
            entry[1] += stored
        self.conn.executemany(
            "INSERT INTO signal_day (dim, key, day, n, stored) VALUES (?,?,?,?,?) "
            "ON CONFLICT(dim, key, day) DO UPDATE SET n = n + excluded.n, stored = stored + excluded.stored",
            [(dim, key, day, n, stored) for (dim, key, day), (n, stored) in days.items() if n or stored])
        self.conn.executemany(
            "INSERT INTO search_hour (hour, grp, form, searches, zero) VALUES (?,?,?,?,?) "
            "ON CONFLICT(hour, grp, form) DO UPDATE SET searches = searches + excluded.searches, "
            "zero = zero + excluded.zero",
            [(hour, group, form, n, zero) for (hour, group, form), (n, zero) in searches.items() if n or zero])
        search_days: dict[tuple[float, str, str], list[int]] = {}
        for (hour, group, form), (n, zero) in searches.items():
            entry = search_days.setdefault((day_of(hour), group, form), [0, 0])
            entry[0] += n
            entry[1] += zero
        self.conn.executemany(
            "INSERT INTO search_day (day, grp, form, searches, zero) VALUES (?,?,?,?,?) "
            "ON CONFLICT(day, grp, form) DO UPDATE SET searches = searches + excluded.searches, "
            "zero = zero + excluded.zero",
            [(day, group, form, n, zero) for (day, group, form), (n, zero) in search_days.items() if n or zero])

    def add_new(self, docs: list[dict[str, Any]], rows: list[tuple[Any, ...]], rowids: dict[str, int]) -> None:
        """Insert terms, flags, text-index entries and dossier membership of the written rows (one per id)."""
        rules = dossier_rules(self.conn)
        terms: list[tuple[str, float, str]] = []
        flags: list[tuple[Any, ...]] = []
        texts: list[tuple[int, str]] = []
        members: list[tuple[int, float, str, str, str | None, str | None]] = []
        hours: dict[tuple[str, str, float], list[int]] = {}
        searches: dict[tuple[float, str, str], list[int]] = {}
        rollups = RollupDeltas()
        for doc, row in zip(docs, rows):
            sid, channel, ts, topic, sentiment, place, text = row[0], row[1], row[3], row[4], row[7], row[10], row[12]
            words = doc_terms(doc)
            terms.extend((term, ts, sid) for term in words)
            deleted = is_deleted(doc)
            _count(hours, ts, (channel, topic, sentiment), 1, deleted)
            if not deleted:
                rollups.count_signal(hour_of(ts), channel, topic, sentiment, place, row[15], 1)
            _count_search(searches, ts, search_key(channel, row[13], row[14], row[15]), 1)
            attention = needs_attention(channel, text, sentiment, doc, self.account)
            if deleted or attention:
                flags.append((sid, ts, channel, topic, sentiment, place, int(deleted), int(attention),
                              int(is_handled(channel, doc))))
            texts.append((rowids[sid], text))
            if rules and not deleted:
                lowered = ascii_lower(text)
                for rule in rules:
                    if rule.matches(lowered, channel, topic, place):
                        members.append((rule.id, ts, sid, channel, topic, sentiment))
                        rollups.count_member(rule.id, hour_of(ts), channel, topic, sentiment, 1)
                        rollups.count_member_terms(rule.id, hour_of(ts), words, 1)
        self.conn.executemany("INSERT OR IGNORE INTO signal_terms (term, ts, id) VALUES (?,?,?)", terms)
        self.conn.executemany("INSERT OR REPLACE INTO signal_flags (id, ts, channel, topic, sentiment, place, deleted, "
                              "attention, handled) VALUES (?,?,?,?,?,?,?,?,?)", flags)
        self.conn.executemany("INSERT INTO signal_text (rowid, text) VALUES (?,?)", texts)
        self.conn.executemany("INSERT OR IGNORE INTO dossier_signal (dossier_id, ts, id, channel, topic, sentiment) "
                              "VALUES (?,?,?,?,?,?)", members)
        term_deltas: dict[tuple[float, str], int] = {}
        for term, ts, _sid in terms:
            key = (hour_of(ts), term)
            term_deltas[key] = term_deltas.get(key, 0) + 1
        self._add_hours(hours, searches, term_deltas)
        rollups.write(self.conn)


def _count_search(deltas: dict[tuple[float, str, str], list[int]], ts: float, key: tuple[str, str, int] | None,
                  sign: int) -> None:
    """Count one site search (sign +1) or take it back (-1) in the per-hour search deltas (deleted ones too)."""
    if key is not None:
        group, form, zero = key
        entry = deltas.setdefault((hour_of(ts), group, form), [0, 0])
        entry[0] += sign
        entry[1] += sign * zero


def _count(deltas: dict[tuple[str, str, float], list[int]], ts: float, keys: tuple[str | None, ...], sign: int,
           deleted: bool) -> None:
    """Count one signal (sign +1) or take it back (-1) in the per-hour deltas; deleted ones only in `stored`."""
    hour = hour_of(ts)
    for dim, key in zip(ROLLUP_DIMENSIONS, keys):
        entry = deltas.setdefault((dim, NULL_KEY if key is None else key, hour), [0, 0])
        entry[1] += sign
        if not deleted:
            entry[0] += sign


def last_per_id(docs: list[dict[str, Any]], rows: Rows) -> tuple[list[dict[str, Any]], Rows]:
    """The docs and rows with each id once, its last occurrence kept (what the upsert leaves in the store)."""
    last: dict[str, int] = {}
    for index, row in enumerate(rows):
        last[row[0]] = index
    keep = sorted(last.values())
    return [docs[i] for i in keep], [rows[i] for i in keep]

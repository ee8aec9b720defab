"""All SQL of the search review: per-group counts, forms, first-seen times, and the review status tables.

Pure functions of an SQLite connection to the store and plain parameters. Counting queries bound
`ts` and filter on the site-search channel so SQLite answers from the store's (channel, ts) index;
per-group look-ups use the store's (query_group, ts) index.
"""
from __future__ import annotations

import logging
import sqlite3
from collections import defaultdict
from typing import Any, Iterable, Sequence

from pipeline.sinks.sqlite.schema import migrate

log = logging.getLogger(__name__)

SEARCH_CHANNEL = "site_search"
STATUSES: tuple[str, ...] = ("open", "handled", "ignored")



def _rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
    """Run a query; a store whose tables do not exist yet gives no rows."""
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as err:
        if "no such table" in str(err):
            log.debug("store table missing: %s", err)
            return []
        raise


def ensure_review_schema(conn: sqlite3.Connection) -> bool:
    """Make sure the store has the review tables (the store package creates them); True when ready."""
    migrate(conn)
    return True


def newest_search_ts(conn: sqlite3.Connection) -> float | None:
    """The time of the newest site search in the store, or None."""
    rows = _rows(conn, "SELECT MAX(ts) FROM signals WHERE channel = ?", (SEARCH_CHANNEL,))
    return rows[0][0] if rows else None


def group_counts(conn: sqlite3.Connection, start: float, end: float) -> dict[str, tuple[int, int, int]]:
    """Per group in [start, end): (searches, searches with a known result count, zero-result searches)."""
    rows = _rows(conn, "SELECT query_group, COUNT(*), COUNT(zero_result), COALESCE(SUM(zero_result), 0) "
                       "FROM signals WHERE channel = ? AND ts >= ? AND ts < ? "
                       "AND query_group IS NOT NULL AND query_group <> '' GROUP BY query_group",
                 (SEARCH_CHANNEL, start, end))
    return {group: (int(n), int(known), int(zero)) for group, n, known, zero in rows}


def first_seen(conn: sqlite3.Connection, groups: Iterable[str]) -> dict[str, float]:
    """The time each group was first searched (one index probe per group)."""
    found: dict[str, float] = {}
    for group in groups:
        rows = _rows(conn, "SELECT MIN(ts) FROM signals WHERE query_group = ?", (group,))
        if rows and rows[0][0] is not None:
            found[group] = rows[0][0]
    return found


def group_forms(conn: sqlite3.Connection, start: float, end: float) -> dict[str, list[tuple[str, int]]]:
    """Per group in [start, end): its raw search texts with counts, most frequent first (ties: shortest, then A-Z)."""
    rows = _rows(conn, "SELECT query_group, TRIM(text), COUNT(*) FROM signals WHERE channel = ? AND ts >= ? "
                       "AND ts < ? AND query_group IS NOT NULL AND query_group <> '' GROUP BY query_group, TRIM(text)",
                 (SEARCH_CHANNEL, start, end))
    forms: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for group, text, count in rows:
        forms[group].append((text, int(count)))
    for listed in forms.values():
        listed.sort(key=lambda item: (-item[1], len(item[0]), item[0]))
    return dict(forms)


def group_topics(conn: sqlite3.Connection, start: float, end: float) -> dict[str, str]:
    """Per group in [start, end): the topic code the enricher gave its searches most often."""
    rows = _rows(conn, "SELECT query_group, topic, COUNT(*) FROM signals WHERE channel = ? AND ts >= ? AND ts < ? "
                       "AND query_group IS NOT NULL AND topic IS NOT NULL GROUP BY query_group, topic",
                 (SEARCH_CHANNEL, start, end))
    best: dict[str, tuple[int, str]] = {}
    for group, topic, count in rows:
        current = best.get(group)
        if current is None or (int(count), topic) > (current[0], current[1]):
            best[group] = (int(count), topic)
    return {group: topic for group, (_, topic) in best.items()}


def variants(conn: sqlite3.Connection, group: str, start: float, end: float, limit: int = 100) -> list[dict[str, Any]]:
    """The raw forms of one group in [start, end): text, searches, zero-result searches, last seen."""
    rows = _rows(conn, "SELECT TRIM(text), COUNT(*), COALESCE(SUM(zero_result), 0), MAX(ts) FROM signals "
                       "WHERE query_group = ? AND ts >= ? AND ts < ? AND channel = ? GROUP BY TRIM(text) "
                       "ORDER BY COUNT(*) DESC, TRIM(text) LIMIT ?",
                 (group, start, end, SEARCH_CHANNEL, limit))
    return [{"text": text, "searches": int(n), "zero_results": int(zero), "last_seen": last}
            for text, n, zero, last in rows]


def typed_names(conn: sqlite3.Connection, groups: Iterable[str], sample: int = 500) -> dict[str, str]:
    """Per group: its most frequent typed form over at most `sample` of its searches (ties: shortest, A-Z)."""
    names: dict[str, str] = {}
    for group in groups:
        rows = _rows(conn, "SELECT form, COUNT(*) AS n FROM (SELECT TRIM(text) AS form FROM signals "
                           "WHERE query_group = ? LIMIT ?) GROUP BY form ORDER BY n DESC, LENGTH(form), form LIMIT 1",
                     (group, sample))
        if rows and rows[0][0]:
            names[group] = rows[0][0]
    return names


def zero_results_since(conn: sqlite3.Connection, group: str, since: float) -> int:
    """Zero-result searches of a group with a time after `since`."""
    rows = _rows(conn, "SELECT COUNT(*) FROM signals WHERE query_group = ? AND ts > ? AND zero_result = 1",
                 (group, since))
    return int(rows[0][0]) if rows else 0


def reviews(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Every stored review decision by group: status, note, handled_at, updated_at."""
    rows = _rows(conn, "SELECT query_group, status, note, handled_at, updated_at FROM search_review")
    return {group: {"status": status, "note": note, "handled_at": handled, "updated_at": updated}
            for group, status, note, handled, updated in rows}


def set_review(conn: sqlite3.Connection, group: str, status: str, note: str, at: float) -> None:
    """Store a decision for a group (handled_at is set when it becomes handled) and append it to the log."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    handled_at = at if status == "handled" else None
    with conn:
        conn.execute("INSERT INTO search_review (query_group, status, note, handled_at, updated_at) "
                     "VALUES (?,?,?,?,?) ON CONFLICT(query_group) DO UPDATE SET status=excluded.status, "
                     "note=excluded.note, handled_at=excluded.handled_at, updated_at=excluded.updated_at",
                     (group, status, note, handled_at, at))
        conn.execute("INSERT INTO search_review_log (query_group, status, note, at) VALUES (?,?,?,?)",
                     (group, status, note, at))


def review_log(conn: sqlite3.Connection, start: float, end: float) -> list[dict[str, Any]]:
    """Review decisions taken in [start, end), oldest first."""
    rows = _rows(conn, "SELECT query_group, status, note, at FROM search_review_log WHERE at >= ? AND at < ? "
                       "ORDER BY seq", (start, end))
    return [{"group": group, "status": status, "note": note, "at": at} for group, status, note, at in rows]

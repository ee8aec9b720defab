"""Builds a large synthetic store fast for the dashboard bench: big transactions with synchronous=OFF (this bench
file only), rows made column-wise, and the advisers' side rows (terms, flags, text index, hourly counts) written
in bulk, the same rows `SqliteStore.write` keeps for a store with the side tables."""
from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from pipeline.bench.bulk_signals import BulkRow, BulkSignals
from pipeline.sinks.sqlite.advisers import schema_marker
from pipeline.sinks.sqlite.rollups import SEARCH_CHANNEL, key_of, rebuild_signal_days
from pipeline.sinks.sqlite.side_rows import (
    doc_terms,
    hour_of,
    is_handled,
    needs_attention,
    search_key,
)
from pipeline.sinks.sqlite.store import SqliteStore, connect

log = logging.getLogger(__name__)

CHUNK = 100_000
LOADED_TABLES = ("signals", "signal_terms")
_INSERT_SIGNAL = ("INSERT INTO signals (id, channel, created_at, ts, topic, topic_confidence, needs_review, sentiment, "
                  "sentiment_score, language, place, author, text, query_normalized, query_group, zero_result, "
                  "stored_at, doc) VALUES (?,?,?,?,?,0.8,0,?,?,'nl',?,NULL,?,?,?,?,?,?)")
_SCORES = {"negative": -0.6, "neutral": 0.0, "positive": 0.6}


class _Hours:
    """Hourly counts of the side tables, summed in memory while the rows are written."""

    def __init__(self) -> None:
        """Empty counters."""
        self.signals: Counter[tuple[str, str, float]] = Counter()
        self.searches: Counter[tuple[float, str, str]] = Counter()
        self.zero: Counter[tuple[float, str, str]] = Counter()
        self.terms: Counter[tuple[float, str]] = Counter()
        self.cube: dict[tuple[float, str, str, str, str], list[int]] = {}
        self.per_row: Counter[tuple[float, str, str, str, str | None, int | None, tuple[str, ...]]] = Counter()

    def add(self, row: BulkRow, terms: tuple[str, ...]) -> None:
        """Count one stored signal (none is deleted) with its terms."""
        hour = hour_of(row.ts)
        zero = row.query[2] if row.query is not None else None
        self.per_row[(hour, row.channel, row.topic, row.sentiment, row.place, zero, terms)] += 1
        if row.query is not None:
            found = search_key(row.channel, row.query[0], row.query[1], row.query[2])
            if found is not None:
                group, form, zero = found
                self.searches[(hour, group, form)] += 1
                self.zero[(hour, group, form)] += zero

    def settle(self) -> None:
        """Spread the per-row counts over the per-dimension and per-term counters."""
        for (hour, channel, topic, sentiment, place, zero, terms), n in self.per_row.items():
            for dim, key in (("channel", channel), ("topic", topic), ("sentiment", sentiment)):
                self.signals[(dim, key_of(key), hour)] += n
            entry = self.cube.setdefault((hour, key_of(channel), key_of(topic), key_of(sentiment), key_of(place)),
                                         [0, 0, 0])
            entry[0] += n
            if channel == SEARCH_CHANNEL and zero is not None:
                entry[1] += n
                entry[2] += n * zero
            for term in terms:
                self.terms[(hour, term)] += n
        self.per_row.clear()


def build_bulk_store(path: Path, n: int, account: str, span_days: float = 180.0, end: float | None = None,
                     echo: Callable[[str], None] = log.info, chunk: int = CHUNK) -> None:
    """Write `n` generated signals with the advisers' side tables (for `account`) into a new store at `path`."""
    SqliteStore(path).close()  # creates and migrates the file
    conn = connect(path)
    stored_at = time.time()
    hours = _Hours()
    begin = time.perf_counter()
    try:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1000000")
        conn.execute("PRAGMA temp_store=MEMORY")
        with conn:
            conn.execute("INSERT OR REPLACE INTO advisers_meta (key, value) VALUES (?, ?)", schema_marker(account))
        source = BulkSignals(n, span_days, end=end)
        indexes = _drop_indexes(conn, LOADED_TABLES)
        done = 0
        for rows in source.chunks(chunk):
            _write_chunk(conn, rows, account, stored_at, hours)
            hours.settle()
            done += len(rows)
            if done % (10 * chunk) == 0 or done == n:
                echo(f"  {done:,} signals written ({time.perf_counter() - begin:.0f} s)")
        begin = time.perf_counter()
        with conn:
            for sql in indexes:
                conn.execute(sql)
        echo(f"  indexes made in {time.perf_counter() - begin:.0f} s")
        hours.settle()
        with conn:
            conn.executemany("INSERT INTO signal_hour (dim, key, hour, n, stored) VALUES (?,?,?,?,?)",
                             [(dim, key, hour, c, c) for (dim, key, hour), c in hours.signals.items()])
            conn.executemany("INSERT INTO search_hour (hour, grp, form, searches, zero) VALUES (?,?,?,?,?)",
                             [(*key, c, hours.zero[key]) for key, c in hours.searches.items()])
            rebuild_signal_days(conn)
            conn.executemany("INSERT INTO term_hour (hour, term, n) VALUES (?,?,?)",
                             [(hour, term, c) for (hour, term), c in hours.terms.items()])
            conn.executemany("INSERT INTO signal_cube (hour, channel, topic, sentiment, place, n, searches, zero) "
                             "VALUES (?,?,?,?,?,?,?,?)", [(*key, *counts) for key, counts in hours.cube.items()])
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _drop_indexes(conn: Any, tables: tuple[str, ...]) -> list[str]:
    """Drop the secondary indexes of `tables` (made again after loading, from their stored SQL); returns that SQL."""
    marks = ",".join("?" * len(tables))
    found = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                         f"AND tbl_name IN ({marks})", tables).fetchall()
    with conn:
        for name, _sql in found:
            conn.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


_TERMS: dict[tuple[str, ...], tuple[str, ...]] = {}


def _terms(keywords: tuple[str, ...]) -> tuple[str, ...]:
    """The stored terms of a doc's keywords (cached: the generated texts repeat)."""
    found = _TERMS.get(keywords)
    if found is None:
        found = _TERMS[keywords] = tuple(doc_terms({"keywords": list(keywords)}))
    return found


def _write_chunk(conn: Any, rows: list[BulkRow], account: str, stored_at: float, hours: _Hours) -> None:
    """One transaction: the chunk's signals, terms, flags and text-index entries."""
    signals, terms, flags = [], [], []
    for row in rows:
        query = row.query or (None, None, None)
        signals.append((row.id, row.channel, row.created_at, row.ts, row.topic, row.sentiment, _SCORES[row.sentiment],
                        row.place, row.text, query[0], query[1], query[2], stored_at, row.doc))
        row_terms = _terms(row.keywords)
        terms.extend((term, row.ts, row.id) for term in row_terms)
        hours.add(row, row_terms)
        if row.meta is not None:
            doc = {"meta": row.meta}
            if needs_attention(row.channel, row.text, row.sentiment, doc, account):
                flags.append((row.id, row.ts, row.channel, row.topic, row.sentiment, row.place, 0, 1,
                              int(is_handled(row.channel, doc))))
    with conn:
        first = conn.execute("SELECT coalesce(MAX(rowid), 0) + 1 FROM signals").fetchone()[0]
        conn.executemany(_INSERT_SIGNAL, signals)
        conn.executemany("INSERT INTO signal_terms (term, ts, id) VALUES (?,?,?)", terms)
        conn.executemany("INSERT INTO signal_flags (id, ts, channel, topic, sentiment, place, deleted, attention, "
                         "handled) VALUES (?,?,?,?,?,?,?,?,?)", flags)
        conn.execute("INSERT INTO signal_text (rowid, text) SELECT rowid, text FROM signals WHERE rowid >= ?", (first,))


def store_size(path: Path) -> int:
    """Bytes of the store file with its WAL."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def describe(path: Path) -> dict[str, Any]:
    """Rows per table of a built store (for the bench's report)."""
    conn = connect(path, readonly=True)
    try:
        return {name: conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]  # noqa: S608 - fixed names
                for name in ("signals", "signal_terms", "signal_flags", "signal_hour", "term_hour")}
    finally:
        conn.close()


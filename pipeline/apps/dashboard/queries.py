"""All SQL of the built-in dashboard: pure functions of a read-only store connection and plain parameters.

Every query bounds `ts` so SQLite can answer from the (column, ts) indexes of the store; the Kibana
dashboards mirror these queries. A connection of None means "no store yet" and gives empty answers.
"""
from __future__ import annotations

import json
import logging
import math
import sqlite3
import time
from dataclasses import dataclass, replace
from typing import Any, Sequence

from pipeline.apps.dashboard import rollup_reads
from pipeline.core.timeutil import iso  # noqa: F401 - used here and re-exported
from pipeline.sinks.sqlite.like import like_pattern  # noqa: F401 - used here and re-exported
from pipeline.sinks.sqlite.side_rows import HOUR, NULL_KEY, ascii_lower, side_tables_account

log = logging.getLogger(__name__)

# window name -> (length in seconds, bucket size in seconds); "all" is sized from the data.
WINDOWS: dict[str, tuple[int, int] | None] = {
    "1h": (3_600, 60),
    "24h": (86_400, 900),
    "7d": (7 * 86_400, 3_600),
    "all": None,
}
# Bucket sizes tried, smallest first, for the "all" window.
ALL_BUCKET_LADDER: tuple[int, ...] = (60, 300, 900, 3_600, 3 * 3_600, 6 * 3_600, 86_400, 7 * 86_400,
                                      30 * 86_400, 365 * 86_400)
MAX_ALL_BUCKETS = 240
MAX_BUCKETS = 1_000
FORM_SAMPLE = 5_000
# A series with fewer rows than this per bucket is counted with one GROUP BY instead of a COUNT per bucket.
SPARSE_ROWS_PER_BUCKET = 25
SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")
DAY = 86_400
GROUP_COLUMNS: frozenset[str] = frozenset({"channel", "topic", "sentiment"})
SEARCH_CHANNEL = "site_search"
MAX_LIMIT = 500
# Free-text search uses the trigram index only when the time range holds at least this many signals.
FTS_MIN_ROWS = 40_000
# ... after LIKE over the newest this many signals of the range found too few.
PROBE_ROWS = 20_000
# Pieces of a searched text looked up in the trigram index before a long search, to find text no signal holds.
ABSENT_PIECES = 8
# Over a range of at least this many signals the text-index lookup is bounded by the store's rowids, not the range's
# (finding the range's lowest and highest rowid would read the whole range; the ts condition still applies).
EXACT_BOUNDS_ROWS = 200_000
# A keyword filter probes the terms table per signal (instead of listing its ids) from this many matches on.
COMMON_TERM_ROWS = 2_000

Connection = sqlite3.Connection | None


def _rows(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
    """Run a query; no store, or a store whose tables the runner has not created yet, gives no rows."""
    if conn is None:
        return []
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as err:
        if "no such table" in str(err):
            log.debug("store has no tables yet: %s", err)
            return []
        raise


def _scalar(conn: Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The first column of the first row, or None."""
    rows = _rows(conn, sql, params)
    return rows[0][0] if rows else None


@dataclass(frozen=True, slots=True)
class Period:
    """A time window [start, end) cut into equal buckets, anchored at the newest signal in the store."""

    window: str
    start: float
    end: float
    bucket_seconds: int
    anchor: float | None

    @classmethod
    def for_window(cls, window: str, newest: float | None, oldest: float | None,
                   now: float | None = None) -> "Period":
        """The period for a window name; an empty store anchors at `now` (default: the clock)."""
        if window not in WINDOWS:
            raise ValueError(f"unknown period {window!r}; expected one of {', '.join(WINDOWS)}")
        anchor = newest if newest is not None else (time.time() if now is None else now)
        spec = WINDOWS[window]
        if spec is None:
            if newest is None or oldest is None:
                spec = WINDOWS["24h"]
            else:
                bucket = _bucket_for_span(oldest, newest)
                start = math.floor(oldest / bucket) * bucket
                end = (math.floor(newest / bucket) + 1) * bucket
                return cls(window, float(start), float(end), bucket, newest)
        assert spec is not None
        length, bucket = spec
        end = (math.floor(anchor / bucket) + 1) * bucket
        return cls(window, float(end - length), float(end), bucket, newest)

    @property
    def bucket_count(self) -> int:
        """How many buckets the period has."""
        return bucket_count(self.start, self.end, self.bucket_seconds)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {"window": self.window, "start": self.start, "end": self.end, "start_iso": iso(self.start),
                "end_iso": iso(self.end), "bucket_seconds": self.bucket_seconds, "anchor": self.anchor,
                "anchor_iso": iso(self.anchor)}


def _bucket_for_span(oldest: float, newest: float) -> int:
    """The smallest ladder bucket that covers oldest..newest in at most MAX_ALL_BUCKETS buckets."""
    for bucket in ALL_BUCKET_LADDER:
        if math.floor(newest / bucket) - math.floor(oldest / bucket) + 1 <= MAX_ALL_BUCKETS:
            return bucket
    return ALL_BUCKET_LADDER[-1]


def bucket_count(start: float, end: float, bucket_seconds: int) -> int:
    """Buckets in [start, end); raises ValueError on an empty or absurdly fine range."""
    if bucket_seconds <= 0:
        raise ValueError("bucket_seconds must be positive")
    if end <= start:
        raise ValueError("end must be after start")
    count = math.ceil((end - start) / bucket_seconds)
    if count > MAX_BUCKETS:
        raise ValueError(f"{count} buckets requested; at most {MAX_BUCKETS}")
    return count


def store_span(conn: Connection) -> tuple[float | None, float | None]:
    """(oldest ts, newest ts) in the store; two separate MIN/MAX lookups so each is one index probe."""
    rows = _rows(conn, "SELECT (SELECT MIN(ts) FROM signals), (SELECT MAX(ts) FROM signals)")
    return (rows[0][0], rows[0][1]) if rows else (None, None)


def period(conn: Connection, window: str, now: float | None = None) -> Period:
    """The Period for `window` ("1h", "24h", "7d", "all") anchored at the newest signal in the store."""
    oldest, newest = store_span(conn)
    return Period.for_window(window, newest, oldest, now)


def distinct_values(conn: Connection, column: str) -> list[str]:
    """Non-null values of an indexed column, by a skip scan of its index (one probe per value)."""
    if column not in GROUP_COLUMNS:
        raise ValueError(f"cannot group by {column!r}")
    sql = (f"WITH RECURSIVE v(x) AS (SELECT MIN({column}) FROM signals UNION ALL "
           f"SELECT (SELECT MIN({column}) FROM signals WHERE {column} > v.x) FROM v WHERE v.x IS NOT NULL) "
           f"SELECT x FROM v WHERE x IS NOT NULL")
    return [row[0] for row in _rows(conn, sql)]


class _Scope:
    """How a time range maps onto the store: the bounds, and whether they cover every stored signal.

    When they do, the site-search queries leave out the `ts` condition so SQLite can answer from
    the covering zero-result index.
    """

    __slots__ = ("start", "end", "oldest", "newest", "whole")

    def __init__(self, conn: Connection, start: float, end: float) -> None:
        """Look up the store's oldest and newest signal and compare them with the range."""
        self.start = start
        self.end = end
        self.oldest, self.newest = store_span(conn)
        self.whole = self.oldest is None or (start <= self.oldest and self.newest < end)


def _match(column: str, key: str | None) -> tuple[str, list[Any]]:
    """`column = ?` (or IS NULL for None) with its parameters; `column` comes from GROUP_COLUMNS only."""
    if column not in GROUP_COLUMNS:
        raise ValueError(f"cannot group by {column!r}")
    return (f"{column} IS NULL", []) if key is None else (f"{column} = ?", [key])


def has_table(conn: Connection, name: str) -> bool:
    """True when the store has a table (or virtual table) called `name`."""
    return _scalar(conn, "SELECT 1 FROM sqlite_master WHERE name = ? AND type = 'table'", (name,)) is not None


def _deleted_count(conn: Connection, column: str, key: str | None, start: float, end: float) -> int:
    """Signals marked meta.deleted with `column` = key in [start, end) (from the advisers' flags table)."""
    if not has_table(conn, "signal_flags"):
        return 0
    match, params = _match(column, key)
    return int(_scalar(conn, f"SELECT COUNT(*) FROM signal_flags WHERE deleted = 1 AND {match} AND ts >= ? AND ts < ?",
                       [*params, start, end]) or 0)


def _range_count(conn: Connection, column: str, key: str | None, start: float, end: float) -> int:
    """Signals with `column` = key in [start, end), deleted ones left out: a covering count on the (column, ts) index."""
    match, params = _match(column, key)
    stored = int(_scalar(conn, f"SELECT COUNT(*) FROM signals WHERE {match} AND ts >= ? AND ts < ?",
                         [*params, start, end]) or 0)
    return stored - _deleted_count(conn, column, key, start, end) if stored else 0


def _key_counts(conn: Connection, column: str, start: float, end: float,
                keys: Sequence[str | None]) -> dict[str | None, int]:
    """Signals per value of `column` in [start, end) for the given keys, keys without signals left out."""
    counts = {key: _range_count(conn, column, key, start, end) for key in keys}
    return {key: n for key, n in counts.items() if n}


def uses_rollup(conn: Connection, start: float, end: float, bucket_seconds: int = HOUR) -> bool:
    """Whether counts over [start, end) in buckets of `bucket_seconds` can come from the hourly counts: the store
    keeps them (current side tables) and the range and buckets are made of whole UTC hours."""
    aligned = start % HOUR == 0 and end % HOUR == 0 and bucket_seconds % HOUR == 0
    return aligned and conn is not None and side_tables_account(conn) is not None


def _rollup_rows(conn: Connection, dim: str, start: float, end: float, bucket_seconds: int) -> list[Sequence[Any]]:
    """(key or None, bucket index, signals without deleted ones, stored signals) per key and bucket of [start, end)
    from `signal_hour`, or from its daily sums `signal_day` when the range and buckets are whole UTC days."""
    table, column = "signal_hour", "hour"
    if start % DAY == 0 and end % DAY == 0 and bucket_seconds % DAY == 0 and rollup_reads.has_days(conn):
        table, column = "signal_day", "day"
    rows = _rows(conn, f"SELECT key, CAST(({column} - ?) / ? AS INTEGER), SUM(n), SUM(stored) FROM {table} "
                       f"WHERE dim = ? AND {column} >= ? AND {column} < ? GROUP BY 1, 2",
                 (start, bucket_seconds, dim, start, end))
    return [(None if key == NULL_KEY else key, index, int(n), int(stored)) for key, index, n, stored in rows]


def _rollup_series(conn: Connection, dim: str, start: float, end: float,
                   bucket_seconds: int) -> dict[str | None, list[int]]:
    """Per value of `dim` with stored signals in [start, end): counts per bucket (deleted ones left out)."""
    size = bucket_count(start, end, bucket_seconds)
    series: dict[str | None, list[int]] = {}
    for key, index, n, stored in _rollup_rows(conn, dim, start, end, bucket_seconds):
        if stored and 0 <= index < size:
            series.setdefault(key, [0] * size)[index] += n
    return series


def _capped_count(conn: Connection, column: str, key: str | None, start: float, end: float, cap: int) -> int:
    """Signals with `column` = key in [start, end), counting no further than `cap` (cheap for dense keys)."""
    match, params = _match(column, key)
    sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM signals WHERE {match} AND ts >= ? AND ts < ? LIMIT ?)"
    return int(_scalar(conn, sql, [*params, start, end, cap]) or 0)


def _bucketed_counts(conn: Connection, column: str, key: str | None, start: float, end: float,
                     bucket_seconds: int) -> list[int]:
    """Counts per bucket for one value of `column` in [start, end).

    Dense series use one COUNT per bucket on the (column, ts) index (no rows fetched, no sort);
    sparse ones one GROUP BY, whose sort is cheap when there are few rows. A capped count decides.
    """
    buckets = bucket_starts(start, end, bucket_seconds)
    counts = [0] * len(buckets)
    if conn is None:
        return counts
    match, params = _match(column, key)
    dense = SPARSE_ROWS_PER_BUCKET * len(buckets)
    if _capped_count(conn, column, key, start, end, dense) >= dense:
        sql = f"SELECT COUNT(*) FROM signals WHERE {match} AND ts >= ? AND ts < ?"
        counts = [int(_scalar(conn, sql, [*params, lo, min(lo + bucket_seconds, end)]) or 0) for lo in buckets]
        _subtract_deleted(conn, counts, match, params, start, end, bucket_seconds)
        return counts
    sql = (f"SELECT CAST((ts - ?) / ? AS INTEGER) AS b, COUNT(*) FROM signals "
           f"WHERE {match} AND ts >= ? AND ts < ? GROUP BY b")
    for index, n in _rows(conn, sql, [start, bucket_seconds, *params, start, end]):
        if 0 <= index < len(counts):
            counts[index] += n
    _subtract_deleted(conn, counts, match, params, start, end, bucket_seconds)
    return counts


def _subtract_deleted(conn: Connection, counts: list[int], match: str, params: list[Any], start: float, end: float,
                      bucket_seconds: int) -> None:
    """Take signals marked meta.deleted out of per-bucket counts (in place)."""
    if conn is None or not has_table(conn, "signal_flags"):
        return
    sql = (f"SELECT CAST((ts - ?) / ? AS INTEGER) AS b, COUNT(*) FROM signal_flags "
           f"WHERE deleted = 1 AND {match} AND ts >= ? AND ts < ? GROUP BY b")
    for index, n in _rows(conn, sql, [start, bucket_seconds, *params, start, end]):
        if 0 <= index < len(counts):
            counts[index] = max(0, counts[index] - n)


def bucket_starts(start: float, end: float, bucket_seconds: int) -> list[float]:
    """The start time of every bucket in [start, end)."""
    return [start + i * bucket_seconds for i in range(bucket_count(start, end, bucket_seconds))]


def volume(conn: Connection, by: str = "channel", start: float = 0.0, end: float = 0.0,
           bucket_seconds: int = 3_600) -> dict[str, Any]:
    """Signal counts per bucket for each channel or topic in [start, end), largest series first."""
    if by not in ("channel", "topic"):
        raise ValueError(f"volume by {by!r}; expected 'channel' or 'topic'")
    buckets = bucket_starts(start, end, bucket_seconds)
    if uses_rollup(conn, start, end, bucket_seconds):
        per_key = _rollup_series(conn, by, start, end, bucket_seconds)
    else:
        per_key = {key: _bucketed_counts(conn, by, key, start, end, bucket_seconds)
                   for key in [*distinct_values(conn, by), None] if _capped_count(conn, by, key, start, end, 1)}
    series = [{"key": key, "counts": counts, "total": sum(counts)} for key, counts in per_key.items()]
    series.sort(key=lambda s: (-s["total"], s["key"] is None, s["key"] or ""))
    return {"by": by, "start": start, "end": end, "bucket_seconds": bucket_seconds, "buckets": buckets,
            "series": series}


def _share(part: int, whole: int) -> float | None:
    """part / whole rounded to 4 decimals, None when whole is 0."""
    return round(part / whole, 4) if whole else None


def sentiment_over_time(conn: Connection, start: float, end: float, bucket_seconds: int) -> dict[str, Any]:
    """Per bucket: counts and shares of negative, neutral and positive signals (shares None when empty)."""
    buckets = bucket_starts(start, end, bucket_seconds)
    if uses_rollup(conn, start, end, bucket_seconds):
        series = _rollup_series(conn, "sentiment", start, end, bucket_seconds)
        counts = {label: series.get(label, [0] * len(buckets)) for label in SENTIMENTS}
    else:
        counts = {label: _bucketed_counts(conn, "sentiment", label, start, end, bucket_seconds) for label in SENTIMENTS}
    totals = [sum(counts[label][i] for label in SENTIMENTS) for i in range(len(buckets))]
    shares = {label: [_share(counts[label][i], totals[i]) for i in range(len(buckets))] for label in SENTIMENTS}
    overall = sum(totals)
    return {"start": start, "end": end, "bucket_seconds": bucket_seconds, "buckets": buckets,
            "counts": counts, "shares": shares, "totals": totals,
            "overall": {label: {"count": sum(counts[label]), "share": _share(sum(counts[label]), overall)}
                        for label in SENTIMENTS}}


def _raw_search_counts(conn: Connection, start: float, end: float) -> tuple[int, int]:
    """(site searches with a known result count and a group, of which zero-result) in [start, end): what the
    zero-result panel and `search_hour` count (deleted ones too)."""
    rows = _rows(conn, "SELECT COUNT(*), COALESCE(SUM(zero_result), 0) FROM signals WHERE channel = ? AND ts >= ? "
                       "AND ts < ? AND zero_result IS NOT NULL AND query_group IS NOT NULL", (SEARCH_CHANNEL, start, end))
    return (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)


def _search_counts(conn: Connection, start: float, end: float) -> tuple[int, int]:
    """(site searches with a known result count and a group, of which zero-result) in [start, end): whole hours
    from the hourly search counts when the store keeps them, the rest from the (channel, ts) index."""
    if conn is None or side_tables_account(conn) is None:
        return _raw_search_counts(conn, start, end)
    searches = zero = 0
    inner = rollup_reads.whole_hours(start, end)
    if inner is not None:
        for _group, _form, known, zeros in rollup_reads.search_rows(conn, *inner):
            searches, zero = searches + int(known), zero + int(zeros)
    for lower, upper in rollup_reads.edges(start, end):
        more, more_zero = _raw_search_counts(conn, lower, upper)
        searches, zero = searches + more, zero + more_zero
    return searches, zero


def totals_by(conn: Connection, column: str, start: float, end: float,
              keys: Sequence[str | None]) -> dict[str | None, int]:
    """Signals per value in `keys` of `column` in [start, end) (deleted ones left out, values without signals left
    out): whole hours from the hourly counts when the store keeps them, the partial hours at the edges per key from
    its index."""
    if conn is None or side_tables_account(conn) is None:
        return _key_counts(conn, column, start, end, keys)
    inner = rollup_reads.whole_hours(start, end)
    totals = rollup_reads.hour_totals(conn, column, *inner, keys) if inner is not None else {}
    for lower, upper in rollup_reads.edges(start, end):
        for key, n in _key_counts(conn, column, lower, upper, keys).items():
            totals[key] = totals.get(key, 0) + n
    wanted = set(keys)
    return {key: n for key, n in totals.items() if n and key in wanted}


def stored_count(conn: Connection) -> int:
    """Every signal in the store (deleted ones too): from the hourly counts when the store keeps them."""
    if conn is not None and side_tables_account(conn) is not None:
        return rollup_reads.stored_total(conn)
    return int(_scalar(conn, "SELECT COUNT(*) FROM signals") or 0)


def summary(conn: Connection, start: float, end: float) -> dict[str, Any]:
    """Totals for [start, end): signals, per channel, per sentiment, site searches; plus store-wide figures."""
    scope = _Scope(conn, start, end)
    channels = totals_by(conn, "channel", start, end, distinct_values(conn, "channel"))
    labelled = totals_by(conn, "sentiment", start, end, SENTIMENTS)
    sentiments = {label: labelled.get(label, 0) for label in SENTIMENTS}
    searches, zero = _search_counts(conn, start, end)
    total = sum(channels.values())
    oldest, newest = scope.oldest, scope.newest
    total_all = total if scope.whole else stored_count(conn)
    return {
        "total": total,
        "channels": {str(k): v for k, v in sorted(channels.items(), key=lambda kv: (-kv[1], kv[0] or ""))},
        "sentiments": sentiments,
        "negative_share": _share(sentiments["negative"], sum(sentiments.values())),
        "searches": searches,
        "zero_result_searches": zero,
        "zero_result_share": _share(zero, searches),
        "total_all": total_all,
        "dead_letters": int(_scalar(conn, "SELECT COUNT(*) FROM deadletters") or 0),
        "newest_ts": newest,
        "newest": iso(newest),
        "oldest_ts": oldest,
        "oldest": iso(oldest),
    }


@dataclass(frozen=True, slots=True)
class SignalFilter:
    """What the list of latest signals is narrowed to; None means 'any'."""

    channel: str | None = None
    topic: str | None = None
    sentiment: str | None = None
    q: str | None = None
    place: str | None = None
    start: float | None = None
    end: float | None = None
    term: str | None = None
    extra_sql: str | None = None
    extra_params: tuple[Any, ...] = ()


_LATEST_COLUMNS = (
    "id, channel, created_at, ts, topic, topic_confidence, needs_review, sentiment, sentiment_score, "
    "language, place, text, query_normalized, zero_result, "
    "json_extract(doc, '$.topic.label') AS topic_label, json_extract(doc, '$.url') AS url, "
    "json_extract(doc, '$.pii') AS pii"
)


def fts_phrase(text: str) -> str:
    """`text` as one FTS5 phrase (double quotes doubled), matched literally by the trigram index."""
    return '"' + text.replace('"', '""') + '"'


def text_absent(conn: Connection, text: str) -> bool:
    """True when no stored signal can contain `text`: one of its three-character pieces (at most ABSENT_PIECES, spread
    over the text) is in no signal, says the trigram index, which must be kept per batch. Worth asking before a text
    search over many signals, which would read them all to find nothing."""
    if conn is None or len(text) < 3 or side_tables_account(conn) is None or not has_table(conn, "signal_text"):
        return False
    pieces = list(dict.fromkeys(text[i:i + 3] for i in range(len(text) - 2)))
    if len(pieces) > ABSENT_PIECES:
        pieces = [pieces[round(i * (len(pieces) - 1) / (ABSENT_PIECES - 1))] for i in range(ABSENT_PIECES)]
    return any(_scalar(conn, "SELECT 1 FROM signal_text WHERE signal_text MATCH ? LIMIT 1", (fts_phrase(piece),)) is None
               for piece in pieces)


def rows_in_range(conn: Connection, start: float | None, end: float | None, cap: int) -> int:
    """Signals in [start, end) (open ends allowed), counting no further than `cap` (one ts-index range scan)."""
    sql = ("SELECT COUNT(*) FROM (SELECT 1 FROM signals WHERE ts >= ? AND ts < ? LIMIT ?)")
    lower = -1e18 if start is None else start
    upper = 1e18 if end is None else end
    return int(_scalar(conn, sql, (lower, upper, cap)) or 0)


def uses_text_index(conn: Connection, text: str, span: tuple[float | None, float | None],
                    held: int | None = None) -> bool:
    """Whether text_condition would answer through the trigram index for this text and time range; `held`:
    the range's signals counted up to FTS_MIN_ROWS, when the caller has counted them already."""
    if len(text) < 3 or not has_table(conn, "signal_text"):
        return False
    return (rows_in_range(conn, *span, FTS_MIN_ROWS) if held is None else held) >= FTS_MIN_ROWS


def text_condition(conn: Connection, text: str, column: str = "text", rowid: str = "rowid",
                   span: tuple[float | None, float | None] = (None, None), like: bool = False) -> tuple[str, list[Any]]:
    """SQL matching signals whose text contains `text` (any case).

    Over more than FTS_MIN_ROWS signals (the time range `span`) the trigram index answers; over fewer a
    LIKE on the rows of the range is cheaper, because a common word matches a large part of the index.
    `like` forces LIKE.
    """
    if not like and uses_text_index(conn, text, span):
        lowest, highest = rowid_bounds(conn, *span)
        if lowest is None:
            return ("0", [])
        return (f"{rowid} IN (SELECT rowid FROM signal_text WHERE signal_text MATCH ? AND rowid BETWEEN ? AND ?)",
                [fts_phrase(text), lowest, highest])
    return (f"{column} LIKE ? ESCAPE '\\'", [like_pattern(text)])


def rowid_bounds(conn: Connection, start: float | None, end: float | None) -> tuple[int | None, int | None]:
    """Lowest and highest rowid of the signals in [start, end) (of the whole store when the range holds at least
    EXACT_BOUNDS_ROWS): bounds the text-index lookup."""
    oldest, newest = store_span(conn)
    if oldest is None or newest is None:
        return (None, None)
    whole = (start is None or start <= oldest) and (end is None or end > newest)
    if whole or rows_in_range(conn, start, end, EXACT_BOUNDS_ROWS) >= EXACT_BOUNDS_ROWS:
        # two sub-selects: each is one b-tree probe, where MIN and MAX in one select scan the table
        rows = _rows(conn, "SELECT (SELECT MIN(rowid) FROM signals), (SELECT MAX(rowid) FROM signals)")
    else:
        rows = _rows(conn, "SELECT MIN(rowid), MAX(rowid) FROM signals WHERE ts >= ? AND ts < ?",
                     (-1e18 if start is None else start, 1e18 if end is None else end))
    return (rows[0][0], rows[0][1]) if rows else (None, None)


def _probe_start(conn: Connection, start: float | None, end: float | None) -> float | None:
    """The ts of the PROBE_ROWS-th newest signal in [start, end), or None when the range holds fewer."""
    rows = _rows(conn, "SELECT ts FROM signals WHERE ts >= ? AND ts < ? ORDER BY ts DESC LIMIT 1 OFFSET ?",
                 (-1e18 if start is None else start, 1e18 if end is None else end, PROBE_ROWS))
    return rows[0][0] if rows else None


def latest(conn: Connection, filters: SignalFilter | None = None, limit: int = 50,
           before: tuple[float, str | None] | None = None) -> list[dict[str, Any]]:
    """The newest signals matching `filters`, newest first; `before` = (ts, id) of the last row seen pages on.

    Signals marked meta.deleted are left out; `term` matches the signal's keywords, `q` its text. A text
    search over a long range first tries LIKE on the newest PROBE_ROWS signals (enough when the words are
    common) and uses the trigram index only when that finds fewer than `limit`.
    """
    filters = filters or SignalFilter()
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1..{MAX_LIMIT}")
    held = rows_in_range(conn, filters.start, filters.end, FTS_MIN_ROWS) if filters.q and conn is not None else 0
    if filters.q and held >= PROBE_ROWS and text_absent(conn, filters.q):
        return []
    if filters.q and conn is not None and uses_text_index(conn, filters.q, (filters.start, filters.end), held):
        probe = _probe_start(conn, filters.start, filters.end)
        if probe is not None:
            newest = _latest(conn, replace(filters, start=probe), limit, before, like=True)
            if len(newest) == limit:
                return newest
    return _latest(conn, filters, limit, before)


def filter_condition(conn: Connection, filters: SignalFilter, like: bool = False) -> tuple[list[str], list[Any]] | None:
    """The WHERE parts and parameters keeping the signals `filters` describe (deleted ones left out), or None
    when nothing can match (a keyword filter on a store without keywords)."""
    where: list[str] = []
    params: list[Any] = []
    for column in ("channel", "topic", "sentiment", "place"):
        value = getattr(filters, column)
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if filters.q:
        sql_q, params_q = text_condition(conn, filters.q, span=(filters.start, filters.end), like=like)
        where.append(sql_q)
        params.extend(params_q)
    if filters.term:
        if not has_table(conn, "signal_terms"):
            return None
        sql_t, params_t = _term_condition(conn, filters.term, filters.start, filters.end)
        where.append(sql_t)
        params.extend(params_t)
    if filters.extra_sql:
        where.append(f"({filters.extra_sql})")
        params.extend(filters.extra_params)
    if has_table(conn, "signal_flags"):
        where.append("id NOT IN (SELECT id FROM signal_flags WHERE deleted = 1)")
    if filters.start is not None:
        where.append("ts >= ?")
        params.append(filters.start)
    if filters.end is not None:
        where.append("ts < ?")
        params.append(filters.end)
    return where, params


def _latest(conn: Connection, filters: SignalFilter, limit: int, before: tuple[float, str | None] | None,
            like: bool = False) -> list[dict[str, Any]]:
    """latest() with the text condition as text_condition picks it (or LIKE when `like`)."""
    condition = filter_condition(conn, filters, like)
    if condition is None:
        return []
    where, params = condition
    if before is not None:
        before_ts, before_id = before
        if before_id is None:
            where.append("ts < ?")
            params.append(before_ts)
        else:
            where.append("ts <= ? AND (ts < ? OR id < ?)")
            params.extend([before_ts, before_ts, before_id])
    sql = f"SELECT {_LATEST_COLUMNS} FROM signals"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY ts DESC, id DESC LIMIT ?"
    params.append(limit)
    return [_signal_item(row) for row in _rows(conn, sql, params)]


def _term_condition(conn: Connection, term: str, start: float | None, end: float | None) -> tuple[str, list[Any]]:
    """SQL keeping signals with keyword `term` in [start, end).

    A common term is checked per signal by one primary-key probe, so the newest matches are found without
    reading all of its (possibly hundreds of thousands of) rows; a rare one is looked up as a list of ids.
    """
    lower = -1e18 if start is None else start
    upper = 1e18 if end is None else end
    capped = "SELECT COUNT(*) FROM (SELECT 1 FROM signal_terms WHERE term = ? AND ts >= ? AND ts < ? LIMIT ?)"
    if int(_scalar(conn, capped, (ascii_lower(term), lower, upper, COMMON_TERM_ROWS)) or 0) >= COMMON_TERM_ROWS:
        return ("EXISTS (SELECT 1 FROM signal_terms t WHERE t.term = ? AND t.ts = signals.ts AND t.id = signals.id)",
                [ascii_lower(term)])
    return ("id IN (SELECT id FROM signal_terms WHERE term = ? AND ts >= ? AND ts < ?)",
            [ascii_lower(term), lower, upper])


def _signal_item(row: Sequence[Any]) -> dict[str, Any]:
    """One row of `latest` as a JSON-ready dict (only http(s) links are passed on)."""
    (sid, channel, created_at, ts, topic, confidence, needs_review, sentiment, score, language, place,
     text, query_normalized, zero, topic_label, url, pii) = row
    if not (isinstance(url, str) and url.lower().startswith(("https://", "http://"))):
        url = None
    return {
        "id": sid, "channel": channel, "created_at": created_at, "ts": ts, "topic": topic,
        "topic_label": topic_label if isinstance(topic_label, str) else None, "topic_confidence": confidence,
        "needs_review": bool(needs_review), "sentiment": sentiment, "sentiment_score": score,
        "language": language, "place": place, "text": text, "query_normalized": query_normalized,
        "zero_result": None if zero is None else bool(zero), "url": url, "pii": _pii_kinds(pii),
    }


def _pii_kinds(raw: Any) -> list[str]:
    """The `pii` kinds stored in the doc (a JSON array text from json_extract), or []."""
    if not isinstance(raw, str):
        return []
    try:
        kinds = json.loads(raw)
    except ValueError:
        return []
    return [k for k in kinds if isinstance(k, str)] if isinstance(kinds, list) else []


def zero_result_searches(conn: Connection, start: float, end: float, limit: int = 10) -> list[dict[str, Any]]:
    """Site-search groups with zero-result searches in [start, end), most zero results first.

    Per group: `searches` (those with a known result count), `zero_results`, `zero_rate`, `display`
    (its most frequent normalized form) and `forms` (up to 3 forms with counts). A range of whole hours
    on a store that keeps hourly search counts (`search_hour`, with daily sums `search_day`) is answered from
    those; otherwise, when the range covers the whole store, the counts come from the zero-result index and the
    forms from at most FORM_SAMPLE searches per listed group.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1..{MAX_LIMIT}")
    scope = _Scope(conn, start, end)
    forms_of: dict[str, dict[str, int]] | None
    if uses_rollup(conn, start, end):
        totals, forms_of = _group_forms(rollup_reads.search_rows(conn, start, end))
    elif scope.whole:
        totals = _rows(conn, "SELECT query_group, COUNT(*), SUM(zero_result) FROM signals "
                             "WHERE zero_result IS NOT NULL AND query_group IS NOT NULL GROUP BY query_group")
        forms_of = None
    else:
        rows = _rows(conn, "SELECT query_group, query_normalized, COUNT(zero_result), COALESCE(SUM(zero_result), 0) "
                           "FROM signals WHERE channel = ? AND ts >= ? AND ts < ? AND query_group IS NOT NULL "
                           "GROUP BY query_group, query_normalized", (SEARCH_CHANNEL, start, end))
        totals, forms_of = _group_forms(rows)
    ranked = sorted(((group, int(known), int(zero)) for group, known, zero in totals if zero),
                    key=lambda t: (-t[2], -t[2] / t[1], t[0]))[:limit]
    result = []
    for group, known, zero in ranked:
        forms = forms_of[group] if forms_of is not None else _sampled_forms(conn, group)
        ordered = sorted(((f, n) for f, n in forms.items() if n), key=lambda kv: (-kv[1], kv[0])) or [(group, 0)]
        result.append({"group": group, "display": ordered[0][0], "searches": known, "zero_results": zero,
                       "zero_rate": _share(zero, known),
                       "forms": [{"form": f, "count": n} for f, n in ordered[:3]]})
    return result


def _group_forms(rows: Sequence[Sequence[Any]]) -> tuple[list[tuple[str, int, int]], dict[str, dict[str, int]]]:
    """From (group, normalized form, searches, zero results) rows: per group (searches, zero results) and the
    searches per form (an empty form counts as the group)."""
    forms_of: dict[str, dict[str, int]] = {}
    summed: dict[str, list[int]] = {}
    for group, normalized, known, zero in rows:
        acc = summed.setdefault(group, [0, 0])
        acc[0] += known
        acc[1] += zero
        forms = forms_of.setdefault(group, {})
        form = normalized or group
        forms[form] = forms.get(form, 0) + known
    return [(group, known, zero) for group, (known, zero) in summed.items()], forms_of


def _sampled_forms(conn: Connection, group: str) -> dict[str, int]:
    """Normalized forms of a search group with counts, over at most FORM_SAMPLE of its searches."""
    rows = _rows(conn, "SELECT query_normalized, COUNT(*) FROM (SELECT query_normalized FROM signals "
                       "WHERE zero_result IN (0, 1) AND query_group = ? LIMIT ?) GROUP BY query_normalized",
                 (group, FORM_SAMPLE))
    return {(form or group): int(n) for form, n in rows}


def store_status(conn: Connection) -> dict[str, Any]:
    """Cheap facts for a health check: schema version, oldest and newest signal."""
    version = _scalar(conn, "PRAGMA user_version")
    oldest, newest = store_span(conn)
    return {"schema_version": version, "newest": iso(newest), "newest_ts": newest, "oldest": iso(oldest)}

"""The live page's figures for a selection (a clicked topic, channel, place, sentiment, text or hour): the same
answers as `queries.summary`, `volume`, `sentiment_over_time` and `zero_result_searches`, counted over the
signals the filter keeps."""
from __future__ import annotations

from typing import Any

from pipeline.apps.dashboard import queries, rollup_reads
from pipeline.apps.dashboard.queries import SEARCH_CHANNEL, SENTIMENTS, Connection, SignalFilter

SELECTING = ("channel", "topic", "sentiment", "place", "q", "term")


def is_selection(filters: SignalFilter, start: float, end: float) -> bool:
    """True when `filters` narrow the period's signals (a field set, or a time range inside the period)."""
    if any(getattr(filters, name) for name in SELECTING):
        return True
    return (filters.start is not None and filters.start > start) or (filters.end is not None and filters.end < end)


def _where(conn: Connection, filters: SignalFilter, start: float, end: float) -> tuple[str, list[Any]] | None:
    """The WHERE clause for the filter within [start, end), or None when nothing can match."""
    narrowed = SignalFilter(**{**{name: getattr(filters, name) for name in SELECTING},
                               "start": max(start, filters.start if filters.start is not None else start),
                               "end": min(end, filters.end if filters.end is not None else end)})
    condition = queries.filter_condition(conn, narrowed)
    if condition is None:
        return None
    where, params = condition
    return " AND ".join(where) or "1", params


def _narrowed(filters: SignalFilter, start: float, end: float) -> tuple[float, float]:
    """The selection's time range within [start, end)."""
    return (max(start, filters.start if filters.start is not None else start),
            min(end, filters.end if filters.end is not None else end))


def _summary_rows(conn: Connection, filters: SignalFilter, start: float, end: float) -> list[tuple[Any, ...]]:
    """(channel, sentiment, signals, searches with a known result count, zero results) of the selection in
    [start, end): whole hours from the hourly cube when it can answer, the rest from the signals."""
    lower, upper = _narrowed(filters, start, end)
    ranges: list[tuple[float, float]] = [(lower, upper)] if lower < upper else []
    found: list[tuple[Any, ...]] = []
    if rollup_reads.cube_usable(conn, filters):
        inner = rollup_reads.whole_hours(lower, upper)
        if inner is not None:
            found += [tuple(row[1:]) for row in rollup_reads.cube_rows(conn, filters, *inner, ("channel", "sentiment"))]
            ranges = rollup_reads.edges(lower, upper)
    for part_start, part_end in ranges:
        where = _where(conn, filters, part_start, part_end)
        if where is None:
            continue
        sql, params = where
        found += [tuple(row) for row in queries._rows(
            conn, f"SELECT channel, sentiment, COUNT(*), COUNT(zero_result), COALESCE(SUM(zero_result), 0) "
                  f"FROM signals WHERE {sql} GROUP BY channel, sentiment", params)]
    return found


def summary(conn: Connection, filters: SignalFilter, start: float, end: float) -> dict[str, Any]:
    """queries.summary for the selection: totals, per channel, per sentiment and site searches; store-wide
    figures (total stored, dead letters, newest and oldest signal) stay those of the whole store."""
    oldest, newest = queries.store_span(conn) if conn is not None else (None, None)
    channels: dict[str, int] = {}
    sentiments = {label: 0 for label in SENTIMENTS}
    searches = zero = 0
    for channel, sentiment, n, known, zeros in _summary_rows(conn, filters, start, end) if conn is not None else []:
        if not n:
            continue
        channels[channel] = channels.get(channel, 0) + int(n)
        if sentiment in sentiments:
            sentiments[sentiment] += int(n)
        if channel == SEARCH_CHANNEL:
            searches += int(known)
            zero += int(zeros)
    total = sum(channels.values())
    return {
        "total": total,
        "channels": dict(sorted(channels.items(), key=lambda kv: (-kv[1], kv[0]))),
        "sentiments": sentiments,
        "negative_share": queries._share(sentiments["negative"], sum(sentiments.values())),
        "searches": searches,
        "zero_result_searches": zero,
        "zero_result_share": queries._share(zero, searches),
        "total_all": queries.stored_count(conn) if conn is not None else 0,
        "dead_letters": int(queries._scalar(conn, "SELECT COUNT(*) FROM deadletters") or 0) if conn is not None else 0,
        "newest_ts": newest, "newest": queries.iso(newest), "oldest_ts": oldest, "oldest": queries.iso(oldest),
        "selection": True,
    }


def _series(conn: Connection, column: str, filters: SignalFilter, start: float, end: float,
            bucket_seconds: int) -> dict[Any, list[int]]:
    """Counts per bucket for every value of `column` among the selected signals."""
    size = queries.bucket_count(start, end, bucket_seconds)
    series: dict[Any, list[int]] = {}
    if conn is None:
        return series
    lower, upper = _narrowed(filters, start, end)
    ranges: list[tuple[float, float]] = [(lower, upper)] if lower < upper else []
    if rollup_reads.cube_usable(conn, filters):
        hours, ranges = rollup_reads.split_hours(lower, upper, bucket_seconds, start)
        wanted = set(hours)
        if hours:
            for hour, key, n, _searches, _zero in rollup_reads.cube_rows(conn, filters, min(hours), max(hours) + 3_600,
                                                                         (column,)):
                index = rollup_reads.bucket_of(hour, start, bucket_seconds)
                if n and hour in wanted and 0 <= index < size:
                    series.setdefault(key, [0] * size)[index] += int(n)
    for part_start, part_end in ranges:
        where = _where(conn, filters, part_start, part_end)
        if where is None:
            continue
        sql, params = where
        for key, index, n in queries._rows(conn, f"SELECT {column}, CAST((ts - ?) / ? AS INTEGER) AS b, COUNT(*) "
                                                 f"FROM signals WHERE {sql} GROUP BY 1, 2",
                                           [start, bucket_seconds, *params]):
            if 0 <= index < size:
                series.setdefault(key, [0] * size)[int(index)] += int(n)
    return series


def volume(conn: Connection, by: str, filters: SignalFilter, start: float, end: float,
           bucket_seconds: int) -> dict[str, Any]:
    """queries.volume for the selection."""
    if by not in ("channel", "topic"):
        raise ValueError(f"volume by {by!r}; expected 'channel' or 'topic'")
    per_key = _series(conn, by, filters, start, end, bucket_seconds)
    series = [{"key": key, "counts": counts, "total": sum(counts)} for key, counts in per_key.items()]
    series.sort(key=lambda s: (-s["total"], s["key"] is None, s["key"] or ""))
    return {"by": by, "start": start, "end": end, "bucket_seconds": bucket_seconds,
            "buckets": queries.bucket_starts(start, end, bucket_seconds), "series": series}


def sentiment_over_time(conn: Connection, filters: SignalFilter, start: float, end: float,
                        bucket_seconds: int) -> dict[str, Any]:
    """queries.sentiment_over_time for the selection."""
    buckets = queries.bucket_starts(start, end, bucket_seconds)
    per_key = _series(conn, "sentiment", filters, start, end, bucket_seconds)
    counts = {label: per_key.get(label, [0] * len(buckets)) for label in SENTIMENTS}
    totals = [sum(counts[label][i] for label in SENTIMENTS) for i in range(len(buckets))]
    shares = {label: [queries._share(counts[label][i], totals[i]) for i in range(len(buckets))] for label in SENTIMENTS}
    overall = sum(totals)
    return {"start": start, "end": end, "bucket_seconds": bucket_seconds, "buckets": buckets, "counts": counts,
            "shares": shares, "totals": totals,
            "overall": {label: {"count": sum(counts[label]), "share": queries._share(sum(counts[label]), overall)}
                        for label in SENTIMENTS}}


def zero_result_searches(conn: Connection, filters: SignalFilter, start: float, end: float,
                         limit: int = 10) -> list[dict[str, Any]]:
    """queries.zero_result_searches for the selection."""
    where = _where(conn, filters, start, end) if conn is not None else None
    if where is None:
        return []
    sql, params = where
    rows = queries._rows(conn, f"SELECT query_group, query_normalized, COUNT(zero_result), "
                               f"COALESCE(SUM(zero_result), 0) FROM signals WHERE channel = ? AND "
                               f"query_group IS NOT NULL AND {sql} GROUP BY query_group, query_normalized",
                         [SEARCH_CHANNEL, *params])
    totals, forms_of = queries._group_forms(rows)
    ranked = sorted(((g, int(k), int(z)) for g, k, z in totals if z), key=lambda t: (-t[2], -t[2] / t[1], t[0]))
    result = []
    for group, known, zero in ranked[:limit]:
        ordered = sorted(((f, n) for f, n in forms_of[group].items() if n), key=lambda kv: (-kv[1], kv[0])) or [(group, 0)]
        result.append({"group": group, "display": ordered[0][0], "searches": known, "zero_results": zero,
                       "zero_rate": queries._share(zero, known), "forms": [{"form": f, "count": n} for f, n in ordered[:3]]})
    return result

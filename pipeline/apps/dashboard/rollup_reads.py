"""Counts from the store's rollups (`signal_cube`, `signal_hour`, `signal_day`, `dossier_hour`, `dossier_day`,
`dossier_tone_hour`, `dossier_term_hour`) for ranges of any length.

A range is split into its whole UTC hours (and days), read from a rollup, and the partial hours at its edges, which
the caller counts from the signals themselves; a bucketed series may use the rollup only for hours that lie wholly
inside one bucket. The answers equal those of the plain queries over `signals` (tests compare them).
"""
from __future__ import annotations

import math
import sqlite3
from typing import Any, Sequence

from pipeline.sinks.sqlite.rollups import DAY, HOUR, key_of, value_of
from pipeline.sinks.sqlite.side_rows import rollups_ready

CUBE_COLUMNS = ("channel", "topic", "sentiment", "place")
Range = tuple[float, float]
Connection = sqlite3.Connection | None


def _rows(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
    """Run a query on the store (no store: no rows)."""
    return [] if conn is None else conn.execute(sql, params).fetchall()


def whole_hours(start: float, end: float) -> Range | None:
    """[first, last) of the whole UTC hours inside [start, end), or None when it holds none."""
    first, last = math.ceil(start / HOUR) * HOUR, math.floor(end / HOUR) * HOUR
    return (float(first), float(last)) if first < last else None


def edges(start: float, end: float) -> list[Range]:
    """The parts of [start, end) outside its whole hours (all of it when it holds no whole hour)."""
    inner = whole_hours(start, end)
    if inner is None:
        return [(start, end)] if start < end else []
    return [(lo, hi) for lo, hi in ((start, inner[0]), (inner[1], end)) if lo < hi]


def split_days(start: float, end: float) -> tuple[Range | None, list[Range], list[Range]]:
    """[start, end) as (its whole UTC days or None, its other whole hours, the partial hours at its edges)."""
    inner = whole_hours(start, end)
    if inner is None:
        return None, [], edges(start, end)
    first, last = math.ceil(inner[0] / DAY) * DAY, math.floor(inner[1] / DAY) * DAY
    if first >= last:
        return None, [inner], edges(start, end)
    hours = [(lo, hi) for lo, hi in ((inner[0], float(first)), (float(last), inner[1])) if lo < hi]
    return (float(first), float(last)), hours, edges(start, end)


def split_hours(start: float, end: float, bucket: int, origin: float | None = None) -> tuple[list[float], list[Range]]:
    """For buckets of `bucket` seconds from `origin` (default `start`): the whole hours of [start, end) that lie
    inside one bucket (read from a rollup), and the ranges left (partial hours at the edges, hours a bucket edge
    cuts)."""
    origin = start if origin is None else origin
    inner = whole_hours(start, end)
    if inner is None:
        return [], [(start, end)] if start < end else []
    usable: list[float] = []
    raw = edges(start, end)
    hour = inner[0]
    while hour < inner[1]:
        if bucket_of(hour, origin, bucket) == bucket_of(hour + HOUR - 1e-6, origin, bucket):
            usable.append(hour)
        else:
            raw.append((hour, hour + HOUR))
        hour += HOUR
    return usable, raw


def bucket_of(ts: float, origin: float, bucket: int) -> int:
    """The bucket index of `ts` as SQL computes it: CAST((ts - origin) / bucket AS INTEGER)."""
    return int((ts - origin) / bucket)


def cube_usable(conn: Connection, filters: Any) -> bool:
    """True when the store keeps the cube and the selection is made of channel, topic, sentiment and place only."""
    if conn is None or filters.q or filters.term or filters.extra_sql:
        return False
    return rollups_ready(conn)


def _cube_where(filters: Any, start: float, end: float) -> tuple[str, list[Any]]:
    """WHERE over `signal_cube` for the selection's columns and the whole hours [start, end)."""
    parts, params = ["hour >= ?", "hour < ?"], [start, end]
    for column in CUBE_COLUMNS:
        value = getattr(filters, column)
        if value is not None:
            parts.append(f"{column} = ?")
            params.append(key_of(value))
    return " AND ".join(parts), params


def cube_rows(conn: Connection, filters: Any, start: float, end: float,
              columns: Sequence[str]) -> list[Sequence[Any]]:
    """(hour, *columns, signals, searches, zero results) summed per hour and `columns` over whole hours [start, end)."""
    where, params = _cube_where(filters, start, end)
    names = ", ".join(columns)
    group = ", ".join(["hour", *columns])
    rows = _rows(conn, f"SELECT hour, {names}, SUM(n), SUM(searches), SUM(zero) FROM signal_cube WHERE {where} "
                       f"GROUP BY {group}", params)
    width = len(columns)
    return [(row[0], *(value_of(v) for v in row[1:1 + width]), *row[1 + width:]) for row in rows]


def has_days(conn: Connection, table: str = "signal_day") -> bool:
    """True when the store keeps the daily sums of its hourly counts (`signal_day`, `search_day`)."""
    return bool(_rows(conn, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)))


def _day_parts(conn: Connection, table: str, start: float, end: float) -> list[tuple[str, str, Range]]:
    """(table, time column, range) to read for the whole hours [start, end): its whole UTC days from the daily
    `table` when the store keeps it, the other hours from the hourly one."""
    days, hours, _rest = split_days(start, end) if has_days(conn, table) else (None, [(start, end)], [])
    hourly = table.replace("_day", "_hour")
    return ([(table, "day", days)] if days else []) + [(hourly, "hour", r) for r in hours]


def search_rows(conn: Connection, start: float, end: float) -> list[Sequence[Any]]:
    """(group, form, searches with a known result count, zero results) over the whole hours [start, end), from
    `search_day` and `search_hour` (a group and form may come in one row per part)."""
    found: list[Sequence[Any]] = []
    for table, column, (lower, upper) in _day_parts(conn, "search_day", start, end):
        found += _rows(conn, f"SELECT grp, form, SUM(searches), SUM(zero) FROM {table} WHERE {column} >= ? "
                             f"AND {column} < ? GROUP BY grp, form", (lower, upper))
    return found


def hour_totals(conn: Connection, dim: str, start: float, end: float,
                keys: Sequence[str | None]) -> dict[str | None, int]:
    """Signals (deleted ones left out) per value in `keys` of `dim` over the whole hours [start, end): whole UTC days
    from `signal_day` when the store keeps it, the other hours from `signal_hour`; one primary-key range per key."""
    if not keys:
        return {}
    parts = _day_parts(conn, "signal_day", start, end)
    marks = ",".join("?" * len(keys))
    totals: dict[str | None, int] = {}
    for table, column, (lower, upper) in parts:
        rows = _rows(conn, f"SELECT key, SUM(n) FROM {table} WHERE dim = ? AND key IN ({marks}) AND {column} >= ? "
                           f"AND {column} < ? GROUP BY key", (dim, *(key_of(k) for k in keys), lower, upper))
        for key, n in rows:
            totals[value_of(key)] = totals.get(value_of(key), 0) + int(n)
    return totals


def stored_total(conn: Connection) -> int:
    """Every stored signal (deleted ones too), from `signal_day` (or `signal_hour`)."""
    table = "signal_day" if has_days(conn) else "signal_hour"
    rows = _rows(conn, f"SELECT SUM(stored) FROM {table} WHERE dim = 'channel'")
    return int(rows[0][0] or 0) if rows else 0


def dossier_rows(conn: Connection, dossier_id: int, hours: Sequence[float], origin: float,
                 bucket: int) -> list[Sequence[Any]]:
    """(bucket index from `origin`, channel, topic, sentiment, n) of a dossier summed over the given whole hours
    (each inside one bucket), from `dossier_hour`; the sums are made by SQLite."""
    rows = _bucketed(conn, "dossier_hour", ("channel", "topic", "sentiment"), dossier_id, hours, origin, bucket)
    return [(index, value_of(c), value_of(t), value_of(s), int(n)) for index, c, t, s, n in rows if n]


def dossier_tones(conn: Connection, dossier_id: int, hours: Sequence[float], origin: float,
                  bucket: int) -> list[tuple[int, str | None, int]]:
    """(bucket index from `origin`, sentiment, n) of a dossier summed over the given whole hours (each inside one
    bucket), from `dossier_tone_hour`."""
    rows = _bucketed(conn, "dossier_tone_hour", ("sentiment",), dossier_id, hours, origin, bucket)
    return [(int(index), value_of(sentiment), int(n)) for index, sentiment, n in rows if n]


def _bucketed(conn: Connection, table: str, columns: Sequence[str], dossier_id: int, hours: Sequence[float],
              origin: float, bucket: int) -> list[Sequence[Any]]:
    """(bucket index, *columns, SUM(n)) of a dossier's hourly `table` over the given hours, summed by SQLite."""
    if not hours:
        return []
    first, last = min(hours), max(hours) + HOUR
    wanted = set(hours)
    skipped = [h for h in range(int(first), int(last), HOUR) if float(h) not in wanted]
    marks = ",".join("?" * len(skipped))
    extra = f" AND hour NOT IN ({marks})" if skipped else ""
    names = ", ".join(columns)
    groups = ", ".join(str(i) for i in range(1, len(columns) + 2))
    return _rows(conn, f"SELECT CAST((hour - ?) / ? AS INTEGER), {names}, SUM(n) FROM {table} WHERE dossier_id = ? "
                       f"AND hour >= ? AND hour < ?{extra} GROUP BY {groups}",
                 (origin, bucket, dossier_id, first, last, *skipped))


def dossier_totals(conn: Connection, dossier_id: int, start: float,
                   end: float) -> tuple[list[tuple[str | None, str | None, str | None, int]], list[Range]]:
    """(channel, topic, sentiment, n) of a dossier over the whole hours of [start, end) (whole UTC days from
    `dossier_day`, the other hours from `dossier_hour`), and the partial hours left for the caller to count."""
    days, hours, rest = split_days(start, end)
    parts = ([("dossier_day", "day", days)] if days else []) + [("dossier_hour", "hour", r) for r in hours]
    found: list[tuple[str | None, str | None, str | None, int]] = []
    for table, column, (lower, upper) in parts:
        for channel, topic, sentiment, n in _rows(
                conn, f"SELECT channel, topic, sentiment, SUM(n) FROM {table} WHERE dossier_id = ? AND {column} >= ? "
                      f"AND {column} < ? GROUP BY 1, 2, 3", (dossier_id, lower, upper)):
            if n:
                found.append((value_of(channel), value_of(topic), value_of(sentiment), int(n)))
    return found, rest


def dossier_term_counts(conn: Connection, dossier_id: int, start: float, end: float) -> dict[str, int]:
    """Keyword term -> count among a dossier's members in the whole hours [start, end), from `dossier_term_hour`."""
    rows = _rows(conn, "SELECT term, SUM(n) FROM dossier_term_hour WHERE dossier_id = ? AND hour >= ? AND hour < ? "
                       "GROUP BY term", (dossier_id, start, end))
    return {str(term): int(n) for term, n in rows if n}

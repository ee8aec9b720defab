"""The webteam's review of zero-result search groups: statistics per period, status with notes, reopen rule, CSV.

A handled group reopens (shown as open, `reopened: true`) once it has had REOPEN_AFTER zero-result
searches dated after the moment it was marked handled; an ignored group stays ignored.
"""
from __future__ import annotations

import csv
import io
import logging
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from pipeline.apps.webteam import queries
from pipeline.apps.webteam.periods import DEFAULT_WINDOW, SearchPeriod, iso, search_period
from pipeline.apps.webteam.subjects import parse_iso, roll_up, subject_names, subject_of
from pipeline.apps.webteam.trend import classify_trend
from pipeline.enrich.query.grouping import group_topic
from pipeline.sinks.sqlite.store import connect

log = logging.getLogger(__name__)

REOPEN_AFTER = 5
MAX_NOTE_CHARS = 1_000
MAX_GROUP_CHARS = 300
SORT_FIELDS: tuple[str, ...] = ("zero_results", "zero_rate", "searches", "trend", "first_seen", "name", "status")
STATUS_FILTERS: tuple[str, ...] = ("open", "handled", "ignored", "all")
CSV_COLUMNS: tuple[str, ...] = ("group", "name", "subject_name", "topic", "status", "reopened", "note", "searches",
                                "zero_results", "zero_rate", "previous_zero_results", "trend", "first_seen",
                                "variants")
_TREND_ORDER = {"new": 0, "rising": 1, "steady": 2, "falling": 3}


@dataclass(frozen=True, slots=True)
class GroupFilter:
    """Which groups to list: period, topic, status ('all' for every status), sort field and direction."""

    window: str = DEFAULT_WINDOW
    end: float | None = None
    topic: str | None = None
    status: str = "open"
    sort: str = "zero_results"
    descending: bool = True
    min_zero: int = 1

    def check(self) -> None:
        """Raise ValueError with a clear message for a bad value."""
        if self.status not in STATUS_FILTERS:
            raise ValueError(f"status must be one of {', '.join(STATUS_FILTERS)}")
        if self.sort not in SORT_FIELDS:
            raise ValueError(f"sort must be one of {', '.join(SORT_FIELDS)}")
        if self.min_zero < 0:
            raise ValueError("min_zero must be 0 or more")


def csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (a leading =, +, -, @, tab or CR gets a quote)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class ReviewService:
    """Reads group statistics from the store and keeps review decisions in the same SQLite file."""

    def __init__(self, store_path: str | Path, reopen_after: int = REOPEN_AFTER) -> None:
        """Serve the store at `store_path`; `reopen_after` zero-result searches reopen a handled group."""
        self.store_path = Path(store_path)
        self.reopen_after = reopen_after
        self._schema_ready = False

    @contextmanager
    def _connection(self, write: bool = False) -> Iterator[sqlite3.Connection | None]:
        """A connection with the review tables ready; None when reading and the store does not exist yet."""
        if not write and not self.store_path.exists():
            yield None
            return
        conn = connect(self.store_path)
        try:
            if not self._schema_ready:
                self._schema_ready = queries.ensure_review_schema(conn)
            yield conn
        finally:
            conn.close()

    def period(self, conn: sqlite3.Connection | None, window: str, end: float | None) -> SearchPeriod:
        """The period for `window`, anchored at the newest search (or the clock for an empty store)."""
        newest = queries.newest_search_ts(conn) if conn is not None else None
        return search_period(window, newest if newest is not None else time.time(), end)

    def groups(self, flt: GroupFilter) -> dict[str, Any]:
        """{"period", "groups", "subjects", "topics"}: groups with zero results in the period, filtered and
        sorted, and the same groups rolled up onto their subjects (each subject lists its group keys in order)."""
        flt.check()
        with self._connection() as conn:
            period = self.period(conn, flt.window, flt.end)
            rows = self._group_rows(conn, period, flt.min_zero) if conn is not None else []
        topics = sorted({row["topic"] for row in rows if row["topic"]})
        if flt.topic:
            rows = [row for row in rows if row["topic"] == flt.topic]
        if flt.status != "all":
            rows = [row for row in rows if row["status"] == flt.status]
        rows.sort(key=_sort_key(flt.sort), reverse=flt.descending)
        start = period.start

        def trend(zero: int, previous: int, first_seen: str | None) -> str:
            """The trend of a subject's totals."""
            return classify_trend(zero, previous, parse_iso(first_seen), start)

        subjects = roll_up(rows, trend, _sort_key(flt.sort), flt.descending)
        return {"period": period.to_dict(), "groups": rows, "subjects": subjects, "topics": topics}

    def _group_rows(self, conn: sqlite3.Connection, period: SearchPeriod, min_zero: int) -> list[dict[str, Any]]:
        """One dict per group with at least `min_zero` zero-result searches in the period."""
        current = queries.group_counts(conn, period.start, period.end)
        listed = {g: c for g, c in current.items() if c[2] >= max(min_zero, 0) and (min_zero > 0 or c[0] > 0)}
        if not listed:
            return []
        previous = queries.group_counts(conn, period.previous_start, period.start)
        seen = queries.first_seen(conn, listed)
        forms = queries.group_forms(conn, period.start, period.end)
        stored_topics = queries.group_topics(conn, period.start, period.end)
        decisions = queries.reviews(conn)
        names = subject_names(forms)
        rows = []
        for group, (searches, known, zero) in listed.items():
            prev_zero = previous.get(group, (0, 0, 0))[2]
            group_forms = forms.get(group) or [(group, 0)]
            decision = decisions.get(group, {})
            status, reopened, since = self._effective_status(conn, group, decision)
            subject = subject_of(group)
            rows.append({
                "group": group,
                "name": group_forms[0][0],
                "subject": subject,
                "subject_name": names.get(subject, group_forms[0][0]),
                "topic": group_topic(group) or stored_topics.get(group) or "overig",
                "searches": searches,
                "searches_counted": known,
                "zero_results": zero,
                "zero_rate": round(zero / known, 4) if known else None,
                "previous_zero_results": prev_zero,
                "first_seen": iso(seen.get(group)),
                "trend": classify_trend(zero, prev_zero, seen.get(group), period.start),
                "status": status,
                "reopened": reopened,
                "zero_since_handled": since,
                "note": decision.get("note", ""),
                "handled_at": iso(decision.get("handled_at")),
                "variants": [{"text": text, "searches": n} for text, n in group_forms[:3] if n],
                "variant_count": len([f for f in group_forms if f[1]]),
            })
        return rows

    def _effective_status(self, conn: sqlite3.Connection, group: str,
                          decision: dict[str, Any]) -> tuple[str, bool, int | None]:
        """(status, reopened, zero-result searches since handled) applying the reopen rule."""
        status = decision.get("status", "open")
        if status != "handled" or decision.get("handled_at") is None:
            return status, False, None
        since = queries.zero_results_since(conn, group, decision["handled_at"])
        if since >= self.reopen_after:
            return "open", True, since
        return "handled", False, since

    def variants(self, group: str, window: str = DEFAULT_WINDOW, end: float | None = None) -> dict[str, Any]:
        """The raw forms residents typed for one group in the period."""
        _check_group(group)
        with self._connection() as conn:
            period = self.period(conn, window, end)
            rows = queries.variants(conn, group, period.start, period.end) if conn is not None else []
        return {"group": group, "period": period.to_dict(), "variants": rows}

    def set_status(self, group: str, status: str, note: str = "", at: float | None = None) -> dict[str, Any]:
        """Record open / handled / ignored with a note; returns the stored decision. LookupError when no
        search of the store belongs to `group`."""
        _check_group(group)
        if status not in queries.STATUSES:
            raise ValueError(f"status must be one of {', '.join(queries.STATUSES)}")
        if not isinstance(note, str):
            raise ValueError("note must be text")
        if len(note) > MAX_NOTE_CHARS:
            raise ValueError(f"note longer than {MAX_NOTE_CHARS} characters")
        moment = time.time() if at is None else at
        with self._connection(write=True) as conn:
            assert conn is not None
            known = conn.execute("SELECT 1 FROM signals WHERE query_group = ? LIMIT 1", (group,)).fetchone()
            if known is None:
                raise LookupError(f"no search group {group!r} in the store (see `stadssignaal search groups`)")
            queries.set_review(conn, group, status, note.strip(), moment)
        log.info("search group %r marked %s", group, status)
        return {"group": group, "status": status, "note": note.strip(), "at": iso(moment)}

    def csv_text(self, flt: GroupFilter) -> str:
        """The listed groups as CSV (UTF-8 text, header first), formula-safe."""
        result = self.groups(flt)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for row in result["groups"]:
            variants = "; ".join(f"{v['text']} ({v['searches']})" for v in row["variants"])
            values = {**row, "variants": variants, "reopened": "yes" if row["reopened"] else "no",
                      "zero_rate": "" if row["zero_rate"] is None else row["zero_rate"]}
            writer.writerow([csv_safe(values[column]) for column in CSV_COLUMNS])
        return out.getvalue()


def _check_group(group: Any) -> None:
    """Raise ValueError unless `group` is a non-empty key of sane length."""
    if not isinstance(group, str) or not group.strip():
        raise ValueError("group must be a non-empty string")
    if len(group) > MAX_GROUP_CHARS:
        raise ValueError(f"group longer than {MAX_GROUP_CHARS} characters")


def _sort_key(field: str) -> Any:
    """A key function for sorting group or subject rows by `field` (None sorts lowest; ties by key)."""
    if field == "trend":
        return lambda row: (-_TREND_ORDER[row["trend"]], row["zero_results"])
    if field in ("name", "status"):
        return lambda row: (str(row[field]).lower(), row.get("group") or row["subject"])
    return lambda row: (row[field] is not None, row[field] or 0, row.get("group") or row["subject"])

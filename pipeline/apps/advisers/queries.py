"""SQL of the advisers' pages: dossiers, "what's new", messages that need attention, and the daily digest figures.

Pure functions of a read-only store connection (None = no store yet) and plain parameters, like `queries.py`;
the Kibana dashboards mirror them. They read the side tables of `advisers_store` and work (with fewer
answers) when those do not exist yet. Signals marked meta.deleted are left out everywhere.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Sequence

from pipeline.apps.advisers.generic_terms import sharp_rise, without_generic
from pipeline.apps.dashboard import queries, rollup_reads
from pipeline.apps.dashboard.queries import SENTIMENTS, Connection, _rows, _scalar, has_table, iso
from pipeline.sinks.sqlite.advisers import Dossier, dossier_from_row
from pipeline.sinks.sqlite.side_rows import HOUR, rollups_ready, side_tables_account

DAY = 86_400
WEEK = 7 * DAY
DEFAULT_DOSSIER_DAYS = 7
MAX_DOSSIER_BUCKETS = 72
TERM_SAMPLE = 5_000
CANDIDATE_FACTOR = 2   # terms fetched per term shown, so generic ones can be left out
MAX_WHATS_NEW_HOURS = 48
DOSSIER_BUCKET_LADDER: tuple[int, ...] = (900, 3_600, 3 * 3_600, 6 * 3_600, DAY, WEEK)
NOT_DELETED = "s.id NOT IN (SELECT id FROM signal_flags WHERE deleted = 1)"
_DOSSIER_COLUMNS = "id, name, keywords, topics, channels, place, start_ts, end_ts, created_at"


# ---- dossiers -----------------------------------------------------------------------------------------

def list_dossiers(conn: Connection) -> list[Dossier]:
    """Every saved dossier, newest first."""
    if conn is None or not has_table(conn, "dossiers"):
        return []
    return [dossier_from_row(r) for r in _rows(conn, f"SELECT {_DOSSIER_COLUMNS} FROM dossiers ORDER BY id DESC")]


def get_dossier(conn: Connection, dossier_id: int) -> Dossier | None:
    """The dossier with this id, or None."""
    if conn is None or not has_table(conn, "dossiers"):
        return None
    rows = _rows(conn, f"SELECT {_DOSSIER_COLUMNS} FROM dossiers WHERE id = ?", (dossier_id,))
    return dossier_from_row(rows[0]) if rows else None


def has_membership(conn: Connection, dossier: Dossier) -> bool:
    """True when `dossier_signal` holds this saved dossier's signals: the store's side rows are kept per batch
    (current schema) and `dossier` is the saved definition of its id (an unsaved or edited copy is matched by SQL)."""
    if conn is None or dossier.id is None or side_tables_account(conn) is None:
        return False
    saved = get_dossier(conn, dossier.id)
    return saved is not None and (saved.keywords, saved.topics, saved.channels, saved.place) == (
        dossier.keywords, dossier.topics, dossier.channels, dossier.place)


def dossier_condition(conn: Connection, dossier: Dossier, alias: str = "s",
                      span: tuple[float | None, float | None] = (None, None)) -> tuple[str, list[Any]]:
    """SQL (over `signals AS alias`) for the dossier's watch: any keyword in the text AND any topic, channel, place.

    Keywords and topics are each optional; when both are given a signal needs one of each. Deleted
    signals are left out. The period is not part of it (see dossier_span); `span` is the time range the
    condition will be used on (it decides between the text index and LIKE). A saved dossier whose membership
    is kept in `dossier_signal` is matched by one index probe per signal instead.
    """
    if has_membership(conn, dossier):
        return (f"EXISTS (SELECT 1 FROM dossier_signal m WHERE m.id = {alias}.id AND m.dossier_id = ?)", [dossier.id])
    parts: list[str] = []
    params: list[Any] = []
    if dossier.keywords:
        alternatives = []
        for keyword in dossier.keywords:
            sql, extra = queries.text_condition(conn, keyword, f"{alias}.text", f"{alias}.rowid", span)
            alternatives.append(sql)
            params.extend(extra)
        parts.append("(" + " OR ".join(alternatives) + ")")
    for column, values in (("topic", dossier.topics), ("channel", dossier.channels)):
        if values:
            parts.append(f"{alias}.{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    if dossier.place:
        parts.append(f"{alias}.place = ?")
        params.append(dossier.place)
    if has_table(conn, "signal_flags"):
        parts.append(NOT_DELETED.replace("s.id", f"{alias}.id"))
    return (" AND ".join(parts) or "1", params)


def dossier_span(conn: Connection, dossier: Dossier, now: float | None = None) -> tuple[float, float]:
    """[start, end) of a dossier: its own period; an open end runs to the whole hour after the newest signal, an
    open start 7 days before the end."""
    newest = queries.store_span(conn)[1]
    anchor = newest if newest is not None else (time.time() if now is None else now)
    end = dossier.end if dossier.end is not None else (math.floor(anchor / 3_600) + 1) * 3_600.0  # whole hours
    start = dossier.start if dossier.start is not None else end - DEFAULT_DOSSIER_DAYS * DAY
    if end <= start:
        raise ValueError("the dossier's period ends before it starts")
    return float(start), float(end)


def bucket_for(start: float, end: float, max_buckets: int = MAX_DOSSIER_BUCKETS) -> int:
    """The finest ladder bucket that cuts [start, end) into at most `max_buckets` buckets."""
    for bucket in DOSSIER_BUCKET_LADDER:
        if math.ceil((end - start) / bucket) <= max_buckets:
            return bucket
    return DOSSIER_BUCKET_LADDER[-1]


def _share(part: int, whole: int) -> float | None:
    """part / whole to 4 decimals, None when whole is 0."""
    return round(part / whole, 4) if whole else None


def _change(now: int, before: int) -> float | None:
    """Relative change from `before` to `now` (0.5 = +50 %), None when there was nothing before."""
    return round((now - before) / before, 4) if before else None


def _grouped(conn: Connection, dossier: Dossier, start: float, end: float,
             bucket: int) -> list[Sequence[Any]]:
    """(bucket index, channel, topic, sentiment, count) of the dossier's signals in [start, end): one scan."""
    if conn is None:
        return []
    if has_membership(conn, dossier):
        hours, ranges = ([], [(start, end)])
        if rollups_ready(conn):
            hours, ranges = rollup_reads.split_hours(start, end, bucket)
        found = rollup_reads.dossier_rows(conn, int(dossier.id or 0), hours, start, bucket)
        for lower, upper in ranges:
            found += _rows(conn, "SELECT CAST((ts - ?) / ? AS INTEGER), channel, topic, sentiment, COUNT(*) "
                                 "FROM dossier_signal WHERE dossier_id = ? AND ts >= ? AND ts < ? GROUP BY 1, 2, 3, 4",
                           [start, bucket, dossier.id, lower, upper])
        return found
    cond, params = dossier_condition(conn, dossier, span=(start, end))
    sql = (f"SELECT CAST((s.ts - ?) / ? AS INTEGER), s.channel, s.topic, s.sentiment, COUNT(*) FROM signals s "
           f"WHERE {cond} AND s.ts >= ? AND s.ts < ? GROUP BY 1, 2, 3, 4")
    return _rows(conn, sql, [start, bucket, *params, start, end])


def _uses_rollups(conn: Connection, dossier: Dossier) -> bool:
    """True when the dossier's counts can come from its hourly and daily rollups (a store not yet migrated to
    them, opened read-only, is counted from the membership)."""
    return (conn is not None and has_membership(conn, dossier) and rollups_ready(conn)
            and has_table(conn, "dossier_tone_hour"))


def _member_totals(conn: Connection, dossier: Dossier, start: float,
                   end: float) -> list[tuple[str | None, str | None, str | None, int]]:
    """(channel, topic, sentiment, count) of a dossier's signals in [start, end): whole days and hours from its
    rollups, the partial hours at the edges from its membership."""
    rows, rest = rollup_reads.dossier_totals(conn, int(dossier.id or 0), start, end)
    for lower, upper in rest:
        rows += [(c, t, s, int(n)) for c, t, s, n in _rows(
            conn, "SELECT channel, topic, sentiment, COUNT(*) FROM dossier_signal WHERE dossier_id = ? AND ts >= ? "
                  "AND ts < ? GROUP BY 1, 2, 3", [dossier.id, lower, upper])]
    return rows


def _tone_rows(conn: Connection, dossier: Dossier, start: float, end: float,
               bucket: int) -> list[tuple[int, str | None, int]]:
    """(bucket index, sentiment, count) of a dossier's signals in [start, end): hours inside one bucket from
    `dossier_tone_hour`, the rest from its membership."""
    hours, ranges = rollup_reads.split_hours(start, end, bucket)
    found = rollup_reads.dossier_tones(conn, int(dossier.id or 0), hours, start, bucket)
    for lower, upper in ranges:
        found += [(int(index), sentiment, int(n)) for index, sentiment, n in _rows(
            conn, "SELECT CAST((ts - ?) / ? AS INTEGER), sentiment, COUNT(*) FROM dossier_signal WHERE dossier_id = ? "
                  "AND ts >= ? AND ts < ? GROUP BY 1, 2", [start, bucket, dossier.id, lower, upper])]
    return found


def dossier_figures(conn: Connection, dossier: Dossier, start: float, end: float,
                    grouped: list[Sequence[Any]] | None = None) -> dict[str, Any]:
    """Total, per sentiment, negative share, per channel and per topic of the dossier's signals in [start, end)."""
    if grouped is not None:
        rows = [(channel, topic, sentiment, n) for _b, channel, topic, sentiment, n in grouped]
    elif _uses_rollups(conn, dossier):
        rows = _member_totals(conn, dossier, start, end)
    else:
        rows = [(channel, topic, sentiment, n) for _b, channel, topic, sentiment, n
                in _grouped(conn, dossier, start, end, max(1, math.ceil(end - start)))]
    sentiments = {k: 0 for k in SENTIMENTS}
    channels: dict[str, int] = {}
    topics: dict[str, int] = {}
    total = 0
    for channel, topic, sentiment, n in rows:
        total += n
        if sentiment in sentiments:
            sentiments[sentiment] += n
        channels[channel] = channels.get(channel, 0) + n
        topics[topic or ""] = topics.get(topic or "", 0) + n
    labelled = sum(sentiments.values())
    return {"total": total, "sentiments": sentiments, "negative_share": _share(sentiments["negative"], labelled),
            "channels": dict(sorted(channels.items(), key=lambda kv: (-kv[1], kv[0]))),
            "topics": dict(sorted(topics.items(), key=lambda kv: (-kv[1], kv[0])))}


def dossier_series(conn: Connection, dossier: Dossier, start: float, end: float, bucket: int,
                   grouped: list[Sequence[Any]] | None = None) -> dict[str, Any]:
    """Per bucket of [start, end): the dossier's signal count and its negative/neutral/positive counts."""
    buckets = queries.bucket_starts(start, end, bucket)
    counts = {k: [0] * len(buckets) for k in SENTIMENTS}
    totals = [0] * len(buckets)
    if grouped is None and _uses_rollups(conn, dossier):
        tones = _tone_rows(conn, dossier, start, end, bucket)
    else:
        tones = [(index, sentiment, n) for index, _channel, _topic, sentiment, n
                 in (_grouped(conn, dossier, start, end, bucket) if grouped is None else grouped)]
    for index, sentiment, n in tones:
        if 0 <= index < len(buckets):
            totals[index] += n
            if sentiment in counts:
                counts[sentiment][index] += n
    return {"buckets": buckets, "bucket_seconds": bucket, "totals": totals, "counts": counts}


def dossier_terms(conn: Connection, dossier: Dossier, start: float, end: float, limit: int = 15) -> list[dict[str, Any]]:
    """The most frequent keywords among the newest TERM_SAMPLE signals of the dossier in [start, end), generic
    terms (spread over many topics in the whole store) left out."""
    if conn is None or not has_table(conn, "signal_terms"):
        return []
    wanted = limit * CANDIDATE_FACTOR
    if _uses_rollups(conn, dossier):
        rows: list[Sequence[Any]] = _member_terms(conn, dossier, start, end)[:wanted]
    elif has_membership(conn, dossier):
        sql = ("SELECT t.term, COUNT(*) AS n FROM signal_terms t WHERE t.id IN (SELECT id FROM dossier_signal "
               "WHERE dossier_id = ? AND ts >= ? AND ts < ? ORDER BY ts DESC, id DESC LIMIT ?) "
               "GROUP BY t.term ORDER BY n DESC, t.term LIMIT ?")
        rows = _rows(conn, sql, [dossier.id, start, end, TERM_SAMPLE, wanted])
    else:
        cond, params = dossier_condition(conn, dossier, span=(start, end))
        sql = (f"SELECT t.term, COUNT(*) AS n FROM signal_terms t WHERE t.id IN ("
               f"SELECT s.id FROM signals s WHERE {cond} AND s.ts >= ? AND s.ts < ? ORDER BY s.ts DESC LIMIT ?) "
               f"GROUP BY t.term ORDER BY n DESC, t.term LIMIT ?")
        rows = _rows(conn, sql, [*params, start, end, TERM_SAMPLE, wanted])
    own = {k.lower() for k in dossier.keywords}
    return without_generic(conn, [{"term": term, "count": n} for term, n in rows], "term", start, end, limit,
                           exempt=lambda item: item["term"] in own)


def _member_terms(conn: Connection, dossier: Dossier, start: float, end: float) -> list[tuple[str, int]]:
    """(term, count) over the newest TERM_SAMPLE members of the dossier in [start, end) (newest first by time, then
    id), most frequent first: the whole hours they fill from `dossier_term_hour`, the hours at both ends from the
    members' own terms."""
    cut = _rows(conn, "SELECT ts, id FROM dossier_signal WHERE dossier_id = ? AND ts >= ? AND ts < ? "
                      "ORDER BY ts DESC, id DESC LIMIT 1 OFFSET ?", [dossier.id, start, end, TERM_SAMPLE - 1])
    lowest, lowest_id = (float(cut[0][0]), str(cut[0][1])) if cut else (start, "")
    first = math.floor(lowest / HOUR) * HOUR + HOUR if cut else math.ceil(start / HOUR) * HOUR
    last = math.floor(end / HOUR) * HOUR
    counts: dict[str, int] = {}
    if first < last:
        counts.update(rollup_reads.dossier_term_counts(conn, int(dossier.id or 0), first, last))
        pieces = [(lowest, lowest_id, first), (last, "", end)]
    else:
        pieces = [(lowest, lowest_id, end)]
    for lower, lower_id, upper in pieces:
        for term, n in _rows(conn, "SELECT t.term, COUNT(*) FROM signal_terms t WHERE t.id IN (SELECT id FROM "
                                   "dossier_signal WHERE dossier_id = ? AND ts >= ? AND (ts > ? OR id >= ?) AND ts < ?) "
                                   "GROUP BY t.term", [dossier.id, lower, lower, lower_id, upper]):
            counts[term] = counts.get(term, 0) + int(n)
    return sorted(((term, n) for term, n in counts.items() if n > 0), key=lambda item: (-item[1], item[0]))


def dossier_report(conn: Connection, dossier: Dossier, now: float | None = None) -> dict[str, Any]:
    """Everything the dossier page shows: period, series, figures now and for the period before, top terms."""
    start, end = dossier_span(conn, dossier, now)
    bucket = bucket_for(start, end)
    grouped = None if _uses_rollups(conn, dossier) else _grouped(conn, dossier, start, end, bucket)
    current = dossier_figures(conn, dossier, start, end, grouped)
    previous_start = start - (end - start)
    previous = dossier_figures(conn, dossier, previous_start, start)
    return {
        "dossier": dossier.to_dict(), "start": start, "end": end, "start_iso": iso(start), "end_iso": iso(end),
        "series": dossier_series(conn, dossier, start, end, bucket, grouped),
        "current": current,
        "previous": {**previous, "start": previous_start, "end": start},
        "change": {"total": _change(current["total"], previous["total"]),
                   "negative_share_points": None if current["negative_share"] is None or previous["negative_share"] is None
                   else round(current["negative_share"] - previous["negative_share"], 4)},
        "terms": dossier_terms(conn, dossier, start, end),
    }


# ---- what's new ---------------------------------------------------------------------------------------

def _term_counts(conn: Connection, start: float, end: float) -> dict[str, int]:
    """Keyword -> signals in [start, end), deleted ones subtracted.

    The whole hours of the range come from `term_hour` when the store keeps it, the partial hours at its
    edges (and everything otherwise) from a covering scan of the (ts, term) index.
    """
    counts: dict[str, int] = {}
    first, last = math.ceil(start / HOUR) * HOUR, math.floor(end / HOUR) * HOUR
    if first < last and conn is not None and side_tables_account(conn) is not None:
        pieces = [(start, first), (last, end)]
        for term, n in _rows(conn, "SELECT term, SUM(n) FROM term_hour WHERE hour >= ? AND hour < ? GROUP BY term",
                             (first, last)):
            counts[term] = int(n)
    else:
        pieces = [(start, end)]
    for lower, upper in pieces:
        if lower < upper:
            for term, n in _rows(conn, "SELECT term, COUNT(*) FROM signal_terms WHERE ts >= ? AND ts < ? GROUP BY term",
                                 (lower, upper)):
                counts[term] = counts.get(term, 0) + int(n)
    if has_table(conn, "signal_flags"):
        for term, n in _rows(conn, "SELECT t.term, COUNT(*) FROM signal_flags f JOIN signal_terms t ON t.id = f.id "
                                   "WHERE f.deleted = 1 AND f.ts >= ? AND f.ts < ? GROUP BY t.term", (start, end)):
            counts[term] = counts.get(term, 0) - int(n)
    return {term: n for term, n in counts.items() if n > 0}


def _topic_counts(conn: Connection, start: float, end: float) -> dict[str, int]:
    """Topic code -> signals in [start, end) (deleted ones left out)."""
    return {str(k): n for k, n in queries.totals_by(conn, "topic", start, end,
                                                     queries.distinct_values(conn, "topic")).items()}


def _rises(now: dict[str, int], before: dict[str, int], min_count: int, limit: int) -> list[dict[str, Any]]:
    """Keys that rose most (absolute, then relative), with at least `min_count` now and more than before."""
    items = []
    for key, n in now.items():
        was = before.get(key, 0)
        if n >= min_count and n > was:
            items.append({"key": key, "count": n, "before": was, "rise": n - was, "change": _change(n, was)})
    items.sort(key=lambda i: (-i["rise"], -(i["count"] / (i["before"] + 1)), i["key"]))
    return items[:limit]


def _distinct_texts(messages: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The first `limit` messages with different texts (repeated posts shown once)."""
    seen: set[str] = set()
    out = []
    for message in messages:
        if message["text"] not in seen:
            seen.add(message["text"])
            out.append(message)
    return out[:limit]


def whats_new(conn: Connection, hours: int = 24, min_count: int = 3, limit: int = 10, examples: int = 3,
              end: float | None = None) -> dict[str, Any]:
    """Terms and topics that rose most in the last `hours` against the same hours one week earlier, with messages.

    The window ends at the newest signal (+1 s) unless `end` is given.
    """
    if not 1 <= hours <= MAX_WHATS_NEW_HOURS:
        raise ValueError(f"hours must be 1..{MAX_WHATS_NEW_HOURS}")
    newest = queries.store_span(conn)[1]
    finish = end if end is not None else (math.floor(newest) + 1.0 if newest is not None else time.time())
    start = finish - hours * 3_600
    result: dict[str, Any] = {"start": start, "end": finish, "start_iso": iso(start), "end_iso": iso(finish),
                              "baseline_start": start - WEEK, "baseline_end": finish - WEEK, "hours": hours,
                              "terms": [], "topics": []}
    if conn is None:
        return result
    if has_table(conn, "signal_terms"):
        rises = _rises(_term_counts(conn, start, finish), _term_counts(conn, start - WEEK, finish - WEEK),
                       min_count, limit * CANDIDATE_FACTOR)
        result["terms"] = without_generic(conn, rises, "key", start - WEEK, finish, limit, exempt=sharp_rise)
        for item in result["terms"]:
            flt = queries.SignalFilter(term=item["key"], start=start, end=finish)
            item["messages"] = _distinct_texts(queries.latest(conn, flt, examples * 4), examples)
    result["topics"] = _rises(_topic_counts(conn, start, finish), _topic_counts(conn, start - WEEK, finish - WEEK),
                              min_count, limit)
    for item in result["topics"]:
        flt = queries.SignalFilter(topic=item["key"], start=start, end=finish)
        item["messages"] = _distinct_texts(queries.latest(conn, flt, examples * 4), examples)
    return result


# ---- needs attention ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ServiceNorms:
    """Hours within which the municipality should answer, per channel (DOMAIN.md: call back 24 h, mail 2 days)."""

    call_hours: float = 24.0
    mail_hours: float = 48.0
    social_hours: float = 24.0

    def hours_for(self, channel: str) -> float:
        """The norm in hours for a channel."""
        if channel == "call_note":
            return self.call_hours
        if channel in ("email", "webform"):
            return self.mail_hours
        return self.social_hours

    def to_dict(self) -> dict[str, Any]:
        """Per channel group: hours and a Dutch description."""
        return {"call_note": {"hours": self.call_hours, "text": f"terugbellen binnen {self.call_hours:g} uur"},
                "email": {"hours": self.mail_hours, "text": f"mail beantwoorden binnen {self.mail_hours / 24:g} dagen"},
                "social": {"hours": self.social_hours, "text": f"sociale media: reageren binnen {self.social_hours:g} uur"}}


def needs_attention(conn: Connection, norms: ServiceNorms | None = None, now: float | None = None,
                    channel: str | None = None, limit: int = 100) -> dict[str, Any]:
    """Open questions and complaints addressed to the municipality without a recorded reply, oldest first.

    Each item carries its norm (hours), due time, hours open and `overdue`; `total` and `overdue` count all
    open items, not just the listed ones.
    """
    norms = norms or ServiceNorms()
    clock = time.time() if now is None else now
    result: dict[str, Any] = {"now": clock, "norms": norms.to_dict(), "items": [], "total": 0, "overdue": 0}
    if conn is None or not has_table(conn, "signal_flags"):
        return result
    where = "f.attention = 1 AND f.handled = 0 AND f.deleted = 0"
    params: list[Any] = []
    if channel:
        where += " AND f.channel = ?"
        params.append(channel)
    per_channel = _rows(conn, f"SELECT f.channel, COUNT(*), MIN(f.ts) FROM signal_flags f WHERE {where} "
                              f"GROUP BY f.channel", params)
    for ch, n, _oldest in per_channel:
        result["total"] += n
        due_before = clock - norms.hours_for(ch) * 3_600
        result["overdue"] += int(_scalar(conn, f"SELECT COUNT(*) FROM signal_flags f WHERE {where} AND f.channel = ? "
                                               f"AND f.ts < ?", [*params, ch, due_before]) or 0)
    sql = (f"SELECT {queries._LATEST_COLUMNS}, json_extract(doc, '$.meta.team') FROM signals WHERE id IN "
           f"(SELECT f.id FROM signal_flags f WHERE {where} ORDER BY f.ts, f.id LIMIT ?) ORDER BY ts, id")
    for row in _rows(conn, sql, [*params, limit]):
        item = queries._signal_item(row[:-1])
        hours = norms.hours_for(item["channel"])
        due = item["ts"] + hours * 3_600
        item.update({"team": row[-1] if isinstance(row[-1], str) else None, "norm_hours": hours, "due": due,
                     "due_iso": iso(due), "hours_open": round((clock - item["ts"]) / 3_600, 1),
                     "overdue": clock > due})
        result["items"].append(item)
    return result


# ---- daily digest -------------------------------------------------------------------------------------

def digest_figures(conn: Connection, end: float, hours: int = 24,
                   dossiers: Sequence[Dossier] | None = None) -> dict[str, Any]:
    """The digest's numbers for [end - hours, end): totals, per topic (with the day before) and per dossier."""
    start = end - hours * 3_600
    prev = start - hours * 3_600
    topics_now = _topic_counts(conn, start, end)
    topics_before = _topic_counts(conn, prev, start)
    negative = {}
    if conn is not None:
        cond = NOT_DELETED if has_table(conn, "signal_flags") else "1"
        for topic, n in _rows(conn, f"SELECT s.topic, COUNT(*) FROM signals s WHERE s.sentiment = 'negative' "
                                    f"AND s.ts >= ? AND s.ts < ? AND {cond} GROUP BY s.topic", (start, end)):
            negative[str(topic)] = int(n)
    summary = queries.summary(conn, start, end)
    oldest = queries.store_span(conn)[0] if conn is not None else None
    covered = oldest is not None and oldest <= prev + 3_600  # the store holds (nearly) the whole day before

    def change(now: int, before: int) -> float | None:
        """The change against the day before, None when the store does not cover that day."""
        return _change(now, before) if covered else None

    topic_rows = [{"topic": t, "count": n, "before": topics_before.get(t, 0), "negative": negative.get(t, 0),
                   "negative_share": _share(negative.get(t, 0), n), "change": change(n, topics_before.get(t, 0))}
                  for t, n in sorted(topics_now.items(), key=lambda kv: (-kv[1], kv[0]))]
    dossier_rows = []
    for dossier in (list_dossiers(conn) if dossiers is None else dossiers):
        figures = dossier_figures(conn, dossier, start, end)
        before = dossier_figures(conn, dossier, prev, start)
        dossier_rows.append({"id": dossier.id, "name": dossier.name, "count": figures["total"],
                             "before": before["total"], "negative": figures["sentiments"]["negative"],
                             "negative_share": figures["negative_share"],
                             "change": change(figures["total"], before["total"]),
                             "terms": [t["term"] for t in dossier_terms(conn, dossier, start, end, 5)]})
    return {"start": start, "end": end, "start_iso": iso(start), "end_iso": iso(end), "hours": hours,
            "before_covered": covered, "total": summary["total"], "channels": summary["channels"], "sentiments": summary["sentiments"],
            "negative_share": summary["negative_share"], "topics": topic_rows, "dossiers": dossier_rows}

"""Document-frequency filtering of the advisers' terms: a word spread evenly over many topics is generic.

The keyword extractor already drops the team's stop list (general Dutch words, contact-centre jargon). What
slips through ("naast", "nummer") shows itself in the store: its signals fall evenly in many topics, none
holding a clear share. Such a term is left out of top terms and of "what's new", unless it is one of the
dossier's own keywords or it rose sharply against its own baseline (a storm is spread over topics too, but it
is new). A term seen too rarely to judge is kept. The thresholds are the team's choice, not fitted to data.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from pipeline.apps.dashboard.queries import Connection, _rows, has_table

MIN_COUNT = 20          # judge a term only when this many of its signals are in the range
MIN_TOPICS = 5          # generic: its signals fall in at least this many topics ...
MAX_TOP_SHARE = 0.35    # ... and no topic holds this share of them or more
SAMPLE = 120            # signals per term looked at (the newest in the range): enough to see a spread
SHARP_RISE = 2.0        # in "what's new", a term at more than this many times its baseline is never generic


def topic_counts(conn: Connection, term: str, start: float, end: float) -> dict[str, int]:
    """Topic code -> signals with `term` in [start, end), over at most SAMPLE of them (the newest)."""
    rows = _rows(conn, "SELECT topic, COUNT(*) FROM (SELECT s.topic AS topic FROM signal_terms t "
                       "JOIN signals s ON s.id = t.id WHERE t.term = ? AND t.ts >= ? AND t.ts < ? "
                       "ORDER BY t.ts DESC LIMIT ?) GROUP BY topic", (term, start, end, SAMPLE))
    return {str(topic or "overig"): int(n) for topic, n in rows}


def is_spread(counts: dict[str, int]) -> bool:
    """True when a term's topic counts mark it generic: enough signals, many topics, no dominant topic."""
    total = sum(counts.values())
    if total < MIN_COUNT:
        return False
    topics = [n for n in counts.values() if n > 0]
    return len(topics) >= MIN_TOPICS and max(topics) / total < MAX_TOP_SHARE


def is_generic(conn: Connection, term: str, start: float, end: float) -> bool:
    """True when `term` is spread evenly over many topics in [start, end)."""
    return is_spread(topic_counts(conn, term, start, end))


def without_generic(conn: Connection, items: list[dict[str, Any]], field: str, start: float, end: float,
                    limit: int, exempt: Callable[[dict[str, Any]], bool] = lambda item: False) -> list[dict[str, Any]]:
    """The first `limit` items whose `field` is not a generic term in [start, end); an `exempt` item is always
    kept. Terms are judged in order, only as far as needed."""
    if conn is None or not has_table(conn, "signal_terms"):
        return items[:limit]
    kept: list[dict[str, Any]] = []
    for item in items:
        if len(kept) >= limit:
            break
        if exempt(item) or not is_generic(conn, item[field], start, end):
            kept.append(item)
    return kept


def sharp_rise(item: dict[str, Any]) -> bool:
    """True for a "what's new" item at more than SHARP_RISE times its baseline count."""
    return item["count"] > SHARP_RISE * item["before"]


def generic_terms(conn: Connection, terms: Iterable[str], start: float, end: float) -> set[str]:
    """The terms among `terms` that are generic in [start, end)."""
    if conn is None or not has_table(conn, "signal_terms"):
        return set()
    return {term for term in terms if is_generic(conn, term, start, end)}

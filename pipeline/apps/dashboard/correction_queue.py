"""The review queue: recent messages the models were least sure of, not yet corrected; and the corrections of
listed messages (labels and time only, never the account)."""
from __future__ import annotations

import sqlite3
from typing import Any

from pipeline.apps.dashboard import queries
from pipeline.sinks.sqlite.corrections import has_corrections, latest_for

QUEUE_DAYS = 7
DAY = 86_400.0

# How sure the pipeline was of a message: the lower of the topic's confidence and the sentiment's certainty
# (for a negative or positive label the size of the score, for neutral how far the score stays from the edges).
CERTAINTY = ("MIN(COALESCE(topic_confidence, 0.0), CASE WHEN sentiment IN ('negative', 'positive') "
             "THEN ABS(COALESCE(sentiment_score, 0.0)) ELSE 1.0 - ABS(COALESCE(sentiment_score, 0.0)) END)")


def attach(conn: sqlite3.Connection | None, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each listed message with `correction` {topic, sentiment, at} (None when nobody corrected it)."""
    found = latest_for(conn, [item["id"] for item in items]) if conn is not None else {}
    for item in items:
        latest = found.get(item["id"])
        item["correction"] = None if latest is None else {k: latest[k] for k in ("topic", "sentiment", "at")}
    return items


def topic_choices(conn: sqlite3.Connection | None, taxonomy: dict[str, str]) -> dict[str, str]:
    """The topics an adviser can choose: the taxonomy's, then every other topic a model gave a stored message
    (a municipality's own categories), from the hourly counts when the store has them."""
    choices = dict(taxonomy)
    if conn is None:
        return choices
    if queries.has_table(conn, "signal_hour"):
        rows = conn.execute("SELECT DISTINCT key FROM signal_hour WHERE dim = 'topic'")
    else:
        rows = conn.execute("SELECT DISTINCT topic FROM signals WHERE topic IS NOT NULL")
    for (code,) in rows:
        if isinstance(code, str) and code and code not in choices:
            choices[code] = code
    return choices


def review_queue(conn: sqlite3.Connection | None, limit: int, days: float = QUEUE_DAYS) -> dict[str, Any]:
    """Up to `limit` messages of the last `days` (up to the newest signal) without a correction, least certain
    first; site searches are left out (the webteam reviews those)."""
    empty: dict[str, Any] = {"items": [], "days": days, "corrected": 0}
    if conn is None:
        return empty
    newest = conn.execute("SELECT MAX(ts) FROM signals").fetchone()[0]
    if newest is None:
        return empty
    where = ["ts >= ?", "channel != 'site_search'"]
    if has_corrections(conn):
        where.append("NOT EXISTS (SELECT 1 FROM corrections c WHERE c.signal_id = signals.id)")
    if queries.has_table(conn, "signal_flags"):
        where.append("id NOT IN (SELECT id FROM signal_flags WHERE deleted = 1)")
    sql = (f"SELECT {queries._LATEST_COLUMNS}, {CERTAINTY} AS certainty FROM signals WHERE {' AND '.join(where)} "
           "ORDER BY certainty, ts DESC, id LIMIT ?")
    items = []
    for row in conn.execute(sql, (newest - days * DAY, limit)):
        item = queries._signal_item(tuple(row)[:-1])
        item["certainty"] = round(float(row["certainty"]), 3)
        item["correction"] = None
        items.append(item)
    corrected = conn.execute("SELECT COUNT(DISTINCT signal_id) FROM corrections").fetchone()[0] \
        if has_corrections(conn) else 0
    return {"items": items, "days": days, "corrected": int(corrected)}

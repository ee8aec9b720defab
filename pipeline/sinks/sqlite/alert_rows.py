"""The alerts table's row of an alert event, and the upsert that keeps one row per episode id."""
from __future__ import annotations

import json
from typing import Any

from pipeline.alerts.model import AlertEvent

UPSERT_ALERT = """
INSERT INTO alerts (id, topic, scope_type, scope_value, trigger, status, start, start_ts, "end", observed,
    expected, last_event, updated_at, doc)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(id) DO UPDATE SET
    topic=excluded.topic, scope_type=excluded.scope_type, scope_value=excluded.scope_value,
    trigger=excluded.trigger, status=excluded.status, start=excluded.start, start_ts=excluded.start_ts,
    "end"=excluded."end", observed=excluded.observed, expected=excluded.expected,
    last_event=excluded.last_event, updated_at=excluded.updated_at, doc=excluded.doc
"""


def alert_row(event: AlertEvent) -> tuple[Any, ...]:
    """The column values of the alert of one event."""
    doc = event.alert.to_dict()
    doc["last_event"] = event.kind
    start_ts = event.alert.start.timestamp()
    return (doc["id"], doc["topic"], doc["scope"]["type"], doc["scope"]["value"], doc["trigger"], doc["status"],
            doc["start"], start_ts, doc["end"], doc["observed"], doc["expected"], event.kind,
            doc["updated_at"] or "", json.dumps(doc, ensure_ascii=False, separators=(",", ":")))

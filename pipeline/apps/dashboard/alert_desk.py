"""The duty officer's side of an alert: notes (acknowledge, close, remark) with time and account, and the
observed vs expected curve of the alert's scope from the stored signals."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from pipeline.alerts.model import parse_iso
from pipeline.sinks.sqlite.schema import migrate
from pipeline.sinks.sqlite.store import connect

ACTIONS = ("ack", "close", "reopen", "note")
HANDLING = {"ack": "acknowledged", "close": "closed", "reopen": "new"}
MAX_NOTE_CHARS = 2_000
BUCKET_SECONDS = 900
CURVE_BEFORE_SECONDS = 3 * 3_600
CURVE_AFTER_SECONDS = 3_600
EXPECTED_DAYS = 7
DAY = 86_400


class BadNote(ValueError):
    """A note the desk refuses; the message says why."""


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    """True when the store has the table `name`."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None


def add_note(store_path: Path, alert_id: str, action: str, note: str, account: str,
             now: float | None = None) -> dict[str, Any]:
    """Store what `account` did with an alert; returns the stored note. BadNote for an unknown action."""
    if action not in ACTIONS:
        raise BadNote(f"action must be one of {', '.join(ACTIONS)}")
    note = (note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise BadNote(f"the note is longer than {MAX_NOTE_CHARS} characters")
    if action == "note" and not note:
        raise BadNote("an empty note says nothing")
    at = time.time() if now is None else now
    conn = connect(store_path)
    try:
        migrate(conn)
        with conn:
            cur = conn.execute("INSERT INTO alert_notes (alert_id, action, note, account, at) VALUES (?,?,?,?,?)",
                               (alert_id, action, note, account, at))
        return {"seq": cur.lastrowid, "alert_id": alert_id, "action": action, "note": note, "account": account,
                "at": at}
    finally:
        conn.close()


def notes_of(conn: sqlite3.Connection, alert_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The notes of each alert, oldest first ({} when the store has none yet)."""
    if not alert_ids or not _has_table(conn, "alert_notes"):
        return {}
    found: dict[str, list[dict[str, Any]]] = {}
    marks = ",".join("?" * len(alert_ids))
    for row in conn.execute(f"SELECT seq, alert_id, action, note, account, at FROM alert_notes "
                            f"WHERE alert_id IN ({marks}) ORDER BY seq", alert_ids):
        found.setdefault(row["alert_id"], []).append(dict(row))
    return found


def handling(notes: list[dict[str, Any]]) -> str:
    """'new', 'acknowledged' or 'closed': the state the last acknowledge / close / reopen left."""
    state = "new"
    for note in notes:
        state = HANDLING.get(note["action"], state)
    return state


def with_notes(conn: sqlite3.Connection | None, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The alerts with their notes and handling state added."""
    notes = notes_of(conn, [a["id"] for a in alerts]) if conn is not None else {}
    for alert in alerts:
        alert["notes"] = notes.get(alert["id"], [])
        alert["handling"] = handling(alert["notes"])
    return alerts


def _scope_condition(alert: dict[str, Any]) -> tuple[str, list[Any]]:
    """SQL condition and parameters for the signals of the alert's topic and scope."""
    sql, params = "topic = ?", [alert["topic"]]
    scope = alert.get("scope") or {}
    if scope.get("type") in ("place", "channel"):
        sql += f" AND {scope['type']} = ?"
        params.append(scope["value"])
    return sql, params


def _counts(conn: sqlite3.Connection, condition: str, params: list[Any], low: float, high: float) -> dict[int, int]:
    """Signal counts per bucket index (from `low`) in [low, high)."""
    rows = conn.execute(f"SELECT CAST((ts - ?) / {BUCKET_SECONDS} AS INTEGER) AS b, COUNT(*) AS n FROM signals "
                        f"WHERE {condition} AND ts >= ? AND ts < ? GROUP BY b", [low, *params, low, high])
    return {int(r["b"]): int(r["n"]) for r in rows}


def curve(conn: sqlite3.Connection | None, alert: dict[str, Any]) -> dict[str, Any]:
    """Observed signals per 15 minutes around the alert, and the expected count: the mean of the same quarter
    hours on the (up to) seven days before that the store covers (null where it covers none)."""
    empty = {"buckets": [], "observed": [], "expected": [], "bucket_seconds": BUCKET_SECONDS, "days": 0}
    if conn is None:
        return empty
    oldest, newest = conn.execute("SELECT (SELECT MIN(ts) FROM signals), (SELECT MAX(ts) FROM signals)").fetchone()
    start, end = parse_iso(alert.get("start")), parse_iso(alert.get("end"))
    if newest is None or start is None:
        return empty
    low = (start.timestamp() - CURVE_BEFORE_SECONDS) // BUCKET_SECONDS * BUCKET_SECONDS
    stop = min(newest + 1, (end.timestamp() if end else newest + 1) + CURVE_AFTER_SECONDS)
    count = max(1, int(-(-(stop - low) // BUCKET_SECONDS)))
    high = low + count * BUCKET_SECONDS
    condition, params = _scope_condition(alert)
    seen = _counts(conn, condition, params, low, high)
    days = [d for d in range(1, EXPECTED_DAYS + 1) if oldest <= low - d * DAY]
    totals = [0.0] * count
    for d in days:
        for index, n in _counts(conn, condition, params, low - d * DAY, high - d * DAY).items():
            if 0 <= index < count:
                totals[index] += n
    return {"buckets": [low + i * BUCKET_SECONDS for i in range(count)],
            "observed": [seen.get(i, 0) for i in range(count)],
            "expected": [round(t / len(days), 2) for t in totals] if days else [None] * count,
            "bucket_seconds": BUCKET_SECONDS, "days": len(days)}

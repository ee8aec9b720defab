"""Example texts kept beside the signals (the alert detector's saved state, alert documents) follow retention:
once a signal is purged, every copy of its text kept as an example is blanked, in the store and on later saves."""
from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable

PURGED_TEXT = ""
_CHUNK = 500


def example_ids(value: Any) -> set[str]:
    """Ids of every example (an object with a string `id` and a string `text`) at any depth."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("id"), str) and isinstance(item.get("text"), str):
                found.add(item["id"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def blank_examples(value: Any, keep: set[str]) -> int:
    """Blank, in place, the text of every example whose id is not in `keep`; returns how many were blanked."""
    blanked = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if (isinstance(item.get("id"), str) and isinstance(item.get("text"), str)
                    and item["id"] not in keep and item["text"] != PURGED_TEXT):
                item["text"] = PURGED_TEXT
                blanked += 1
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return blanked


def stored_ids(conn: sqlite3.Connection, ids: Iterable[str]) -> set[str]:
    """The ids among `ids` that the signals table still holds."""
    wanted = list(ids)
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        part = wanted[start:start + _CHUNK]
        marks = ",".join("?" * len(part))
        found.update(r[0] for r in conn.execute(f"SELECT id FROM signals WHERE id IN ({marks})", part))
    return found


def has_purged(conn: sqlite3.Connection) -> bool:
    """True when signals were ever purged from this store (only then can an example outlive its signal)."""
    return conn.execute("SELECT 1 FROM purges LIMIT 1").fetchone() is not None


def scrub(conn: sqlite3.Connection, value: Any) -> int:
    """Blank the examples of `value` whose signal is gone from the store; returns how many."""
    ids = example_ids(value)
    return blank_examples(value, stored_ids(conn, ids)) if ids else 0


def scrub_stored(conn: sqlite3.Connection) -> int:
    """Blank purged examples in the saved detector states and the alert documents (caller holds a transaction)."""
    blanked = 0
    for table, key, column in (("detector_state", "name", "state"), ("alerts", "id", "doc")):
        rows = conn.execute(f"SELECT {key}, {column} FROM {table}").fetchall()
        for row_key, text in rows:
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                continue
            count = scrub(conn, value)
            if count:
                conn.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?",
                             (json.dumps(value, ensure_ascii=False, separators=(",", ":")), row_key))
                blanked += count
    return blanked

"""Advisers' corrections of topic and sentiment: stored with time and account, read back per message and as
training rows (the redacted text of the message with its latest corrected labels)."""
from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.sinks.sqlite.schema import migrate
from pipeline.sinks.sqlite.store import connect

SENTIMENTS = ("negative", "neutral", "positive")
MAX_TOPIC_CHARS = 100
MAX_ACCOUNT_CHARS = 200
GONE = ("Dit bericht is niet (meer) bewaard: het is na de bewaartermijn verwijderd of heeft nooit bestaan. "
        "De correctie is niet opgeslagen.")


class CorrectionRefused(ValueError):
    """A correction the store does not keep; the message (Dutch) says why."""


class MessageGone(CorrectionRefused):
    """The corrected message is not in the store (purged after the retention period, or unknown)."""


@dataclass(frozen=True, slots=True)
class CorrectionRow:
    """One corrected message for training: its redacted text and latest corrected labels (None: not corrected)."""

    signal_id: str
    text: str
    topic: str | None
    sentiment: str | None
    was_topic: str | None
    was_sentiment: str | None
    at: float


def _check(topic: str | None, sentiment: str | None, account: str) -> None:
    """CorrectionRefused for a correction without a label, an unknown sentiment or an overlong value."""
    if topic is None and sentiment is None:
        raise CorrectionRefused("Kies een onderwerp of een sentiment om te corrigeren.")
    if topic is not None and (not topic.strip() or len(topic) > MAX_TOPIC_CHARS):
        raise CorrectionRefused(f"Een onderwerp is 1 tot {MAX_TOPIC_CHARS} tekens lang.")
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise CorrectionRefused("Sentiment moet negatief, neutraal of positief zijn (negative, neutral, positive).")
    if not account or len(account) > MAX_ACCOUNT_CHARS:
        raise CorrectionRefused("Een correctie heeft een account nodig.")


def add_correction(store_path: str | Path, signal_id: str, topic: str | None, sentiment: str | None,
                   account: str, now: float | None = None) -> dict[str, Any]:
    """Store `account`'s correction of a message; returns it. MessageGone when the message is not in the store."""
    _check(topic, sentiment, account)
    at = time.time() if now is None else now
    conn = connect(store_path)
    try:
        migrate(conn)
        with conn:
            found = conn.execute("SELECT topic, sentiment FROM signals WHERE id = ?", (signal_id,)).fetchone()
            if found is None:
                raise MessageGone(GONE)
            cur = conn.execute(
                "INSERT INTO corrections (signal_id, topic, sentiment, was_topic, was_sentiment, account, at) "
                "VALUES (?,?,?,?,?,?,?)", (signal_id, topic, sentiment, found["topic"], found["sentiment"], account, at))
        return {"seq": cur.lastrowid, "signal_id": signal_id, "topic": topic, "sentiment": sentiment,
                "was_topic": found["topic"], "was_sentiment": found["sentiment"], "account": account, "at": at}
    finally:
        conn.close()


def has_corrections(conn: sqlite3.Connection) -> bool:
    """True when the store has the corrections table (a store from before it has none)."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='corrections'").fetchone() is not None


_LATEST = """
SELECT signal_id,
    (SELECT topic FROM corrections t WHERE t.signal_id = c.signal_id AND t.topic IS NOT NULL
     ORDER BY seq DESC LIMIT 1) AS topic,
    (SELECT sentiment FROM corrections t WHERE t.signal_id = c.signal_id AND t.sentiment IS NOT NULL
     ORDER BY seq DESC LIMIT 1) AS sentiment,
    (SELECT was_topic FROM corrections t WHERE t.signal_id = c.signal_id ORDER BY seq LIMIT 1) AS was_topic,
    (SELECT was_sentiment FROM corrections t WHERE t.signal_id = c.signal_id ORDER BY seq LIMIT 1) AS was_sentiment,
    MAX(at) AS at, (SELECT account FROM corrections t WHERE t.signal_id = c.signal_id
                    ORDER BY seq DESC LIMIT 1) AS account
FROM corrections c
"""


def latest_for(conn: sqlite3.Connection, signal_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The latest corrected topic and sentiment (with time and account) of each of these messages that has one."""
    if not signal_ids or not has_corrections(conn):
        return {}
    marks = ",".join("?" * len(signal_ids))
    rows = conn.execute(f"{_LATEST} WHERE signal_id IN ({marks}) GROUP BY signal_id", signal_ids)
    return {row["signal_id"]: {"topic": row["topic"], "sentiment": row["sentiment"], "account": row["account"],
                               "at": row["at"]} for row in rows}


def training_rows(conn: sqlite3.Connection) -> list[CorrectionRow]:
    """Every corrected message still in the store with its redacted text, oldest correction first."""
    if not has_corrections(conn):
        return []
    rows = conn.execute(f"SELECT l.*, s.text FROM ({_LATEST} GROUP BY signal_id) l "
                        "JOIN signals s ON s.id = l.signal_id ORDER BY l.at, l.signal_id")
    return [CorrectionRow(r["signal_id"], r["text"], r["topic"], r["sentiment"], r["was_topic"], r["was_sentiment"],
                          float(r["at"])) for r in rows]


def read_training_rows(store_path: Path) -> list[CorrectionRow]:
    """`training_rows` of the store file at `store_path`, opened read-only."""
    conn = connect(store_path, readonly=True)
    try:
        return training_rows(conn)
    finally:
        conn.close()


def correction_count(conn: sqlite3.Connection) -> int:
    """How many messages have a correction."""
    if not has_corrections(conn):
        return 0
    return int(conn.execute("SELECT COUNT(DISTINCT signal_id) FROM corrections").fetchone()[0])

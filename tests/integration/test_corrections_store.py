"""Corrections in the store: kept with time and account, latest label wins, purged messages refused and forgotten."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from pipeline.bench.synthetic_signals import enriched_doc
from pipeline.sinks.sqlite.corrections import (
    CorrectionRefused,
    MessageGone,
    add_correction,
    correction_count,
    latest_for,
    training_rows,
)
from pipeline.sinks.sqlite.schema import SCHEMA_VERSION, schema_version
from pipeline.sinks.sqlite.store import SqliteStore, connect

T0 = 1_780_000_000.0


@pytest.fixture
def filled(store_path: Path) -> Path:
    """A store with two messages (one with a redacted phone number)."""
    store = SqliteStore(store_path)
    store.write(None, None, [
        enriched_doc("twitter:1", T0, "Container niet geleegd", topic="afval", sentiment="negative"),
        enriched_doc("call_note:2", T0 + 60, "Bel mij terug op [telefoon] over de parkeervergunning",
                     topic="afval", sentiment="neutral", pii=("phone",)),
    ])
    store.close()
    return store_path


def test_correction_is_kept_with_time_account_and_what_the_pipeline_said(filled: Path) -> None:
    """Both labels, the account and the time are stored; the pipeline's own labels are kept beside them."""
    saved = add_correction(filled, "call_note:2", "parkeren", None, "anna", now=T0 + 120)
    assert saved["was_topic"] == "afval" and saved["was_sentiment"] == "neutral"
    add_correction(filled, "call_note:2", None, "negative", "bob", now=T0 + 180)
    add_correction(filled, "twitter:1", "afval", "negative", "anna", now=T0 + 200)
    conn = connect(filled, readonly=True)
    try:
        assert schema_version(conn) == SCHEMA_VERSION >= 5
        stored = [tuple(r) for r in conn.execute(
            "SELECT signal_id, topic, sentiment, account, at FROM corrections ORDER BY seq")]
        assert stored == [("call_note:2", "parkeren", None, "anna", T0 + 120),
                          ("call_note:2", None, "negative", "bob", T0 + 180),
                          ("twitter:1", "afval", "negative", "anna", T0 + 200)]
        latest = latest_for(conn, ["call_note:2", "twitter:1", "twitter:9"])
        assert latest["call_note:2"] == {"topic": "parkeren", "sentiment": "negative", "account": "bob",
                                         "at": T0 + 180}
        assert set(latest) == {"call_note:2", "twitter:1"}
        rows = training_rows(conn)
        assert [(r.signal_id, r.topic, r.sentiment, r.was_topic) for r in rows] == [
            ("call_note:2", "parkeren", "negative", "afval"), ("twitter:1", "afval", "negative", "afval")]
        assert rows[0].text == "Bel mij terug op [telefoon] over de parkeervergunning"   # the redacted text
        assert correction_count(conn) == 2
    finally:
        conn.close()


def test_a_purged_message_is_refused_with_a_message_and_its_corrections_go(filled: Path) -> None:
    """After the retention purge, correcting the message is refused in Dutch and nothing is stored."""
    add_correction(filled, "twitter:1", "afval", None, "anna", now=T0)
    store = SqliteStore(filled)
    try:
        assert store.purge(time.time() + 10).signals == 2
    finally:
        store.close()
    with pytest.raises(MessageGone, match="bewaartermijn"):
        add_correction(filled, "twitter:1", "verkeer", None, "anna")
    conn = connect(filled, readonly=True)
    try:
        assert conn.execute("SELECT COUNT(*) FROM corrections").fetchone()[0] == 0
        assert training_rows(conn) == []
    finally:
        conn.close()


@pytest.mark.parametrize(("topic", "sentiment", "account", "reason"), [
    (None, None, "anna", "Kies een onderwerp"),
    ("", None, "anna", "onderwerp"),
    ("x" * 101, None, "anna", "onderwerp"),
    (None, "boos", "anna", "Sentiment moet"),
    ("afval", None, "", "account"),
])
def test_bad_corrections_are_refused(filled: Path, topic: str | None, sentiment: str | None, account: str,
                                     reason: str) -> None:
    """No label, an unknown sentiment, an overlong topic or no account: refused with a reason, nothing stored."""
    with pytest.raises(CorrectionRefused, match=reason):
        add_correction(filled, "twitter:1", topic, sentiment, account)
    conn = sqlite3.connect(filled)
    try:
        assert conn.execute("SELECT COUNT(*) FROM corrections").fetchone()[0] == 0
    finally:
        conn.close()

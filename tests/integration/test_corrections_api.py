"""Corrections over HTTP: one POST per choice (same origin, CSRF token when logged in), the session's account
stored, bad input 400 in Dutch, purged messages refused, the review queue least certain first, no personal
data in any answer."""
from __future__ import annotations

import sqlite3
import time
import warnings
from pathlib import Path

import pytest

from pipeline.apps.advisers.settings import AdvisersSettings
from pipeline.apps.dashboard.access import hash_password
from pipeline.apps.dashboard.app import create_app, dashboard_app
from pipeline.apps.dashboard.sessions import CSRF_COOKIE
from pipeline.bench.synthetic_signals import enriched_doc
from pipeline.sinks.sqlite.store import SqliteStore

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery"
LOCAL = "http://127.0.0.1:8000"
REMOTE = "http://10.0.0.5:8000"
AUTHOR = "Jan Jansen"


def doc(sid: str, at: float, text: str, topic: str, sentiment: str, confidence: float, score: float) -> dict:
    """An enriched doc with a chosen topic confidence and sentiment score, and an author."""
    made = enriched_doc(sid, at, text, topic=topic, sentiment=sentiment, pii=("phone",))
    made["topic"]["confidence"] = confidence
    made["sentiment"]["score"] = score
    made["author"] = AUTHOR
    return made


@pytest.fixture
def filled(store_path: Path) -> Path:
    """Four messages of the last hour with different certainty, and one site search."""
    now = time.time()
    store = SqliteStore(store_path)
    store.write(None, None, [
        doc("twitter:1", now - 60, "Container al drie dagen vol", "afval", "negative", 0.9, -0.8),
        doc("twitter:2", now - 120, "Bel [telefoon] over parkeren bij de kerk", "afval", "neutral", 0.2, 0.1),
        doc("facebook:3", now - 180, "Mooi geregeld hoor", "verkeer", "positive", 0.7, 0.05),
        doc("call_note:4", now - 240, "Vraag over de paspoortaanvraag", "burgerzaken", "neutral", 0.55, 0.0),
        enriched_doc("site_search:5", now - 30, "paspoort", topic="burgerzaken", sentiment="neutral",
                     query=("paspoort", "paspoort", True)),
    ])
    store.close()
    return store_path


def settings(**extra: object) -> AdvisersSettings:
    """Settings of a Zeist dashboard."""
    return AdvisersSettings(municipality="Zeist", **extra)


def stored(path: Path) -> list[tuple]:
    """(signal_id, topic, sentiment, account) of every stored correction."""
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute("SELECT signal_id, topic, sentiment, account FROM corrections "
                                               "ORDER BY seq")]
    finally:
        conn.close()


def no_personal_data(text: str) -> None:
    """An answer holds neither the author nor an adviser's account."""
    assert AUTHOR not in text and "anna" not in text and "lokaal" not in text


def test_correct_queue_and_list(filled: Path) -> None:
    """The queue lists the least certain first; a correction leaves the queue, shows in the lists, keeps its
    account; bad input gets 400 with a Dutch reason."""
    client = TestClient(create_app(filled, settings()), base_url=LOCAL, headers={"origin": LOCAL})
    queue = client.get("/api/corrections/queue")
    assert queue.status_code == 200
    # certainty: twitter:2 0.2 (topic), facebook:3 0.05 (weak positive), call_note:4 0.55, twitter:1 0.8
    assert [i["id"] for i in queue.json()["items"]] == ["facebook:3", "twitter:2", "call_note:4", "twitter:1"]
    assert queue.json()["items"][0]["certainty"] == 0.05
    no_personal_data(queue.text)

    saved = client.post("/api/signals/twitter:2/correction", json={"topic": "parkeren"})
    assert saved.status_code == 201, saved.text
    assert saved.json()["topic"] == "parkeren" and "account" not in saved.json()
    assert client.post("/api/signals/twitter%3A2/correction", json={"sentiment": "negative"}).status_code == 201
    assert stored(filled) == [("twitter:2", "parkeren", None, "lokaal"), ("twitter:2", None, "negative", "lokaal")]
    after = client.get("/api/corrections/queue").json()
    assert [i["id"] for i in after["items"]] == ["facebook:3", "call_note:4", "twitter:1"]
    assert after["corrected"] == 1
    listed = {s["id"]: s for s in client.get("/api/signals", params={"limit": 10}).json()["signals"]}
    assert listed["twitter:2"]["correction"]["topic"] == "parkeren"
    assert listed["twitter:2"]["correction"]["sentiment"] == "negative"
    assert listed["twitter:1"]["correction"] is None
    no_personal_data(client.get("/api/signals").text)

    for body, reason in (({}, "Kies een onderwerp"), ({"sentiment": "boos"}, "Sentiment moet"),
                         ({"topic": "ufo"}, "Onbekend onderwerp"), ({"topic": 3}, "moet tekst zijn"),
                         ([1, 2], "JSON-object")):
        bad = client.post("/api/signals/twitter:1/correction", json=body)
        assert bad.status_code == 400 and reason in bad.json()["error"], (body, bad.text)
    assert client.post("/api/signals/twitter:1/correction", content=b"{x", headers={
        "content-type": "application/json"}).status_code == 400
    assert client.get("/api/corrections/queue", params={"limit": "x"}).status_code == 400
    gone = client.post("/api/signals/twitter:999/correction", json={"topic": "afval"})
    assert gone.status_code == 404 and "bewaartermijn" in gone.json()["error"]
    assert len(stored(filled)) == 2
    choices = client.get("/api/corrections/topics").json()["topics"]
    assert choices["parkeren"] == "Parkeren" and "overig" in choices
    page = client.get("/nakijken")
    assert page.status_code == 200 and 'aria-current="page">Nakijken' in page.text and "<script>" not in page.text


def test_own_categories_are_offered(store_path: Path) -> None:
    """A municipality's own categories (topics its model gave stored messages) are choices next to the taxonomy."""
    store = SqliteStore(store_path)
    store.write(None, None, [doc("call_note:1", time.time(), "Boom omgewaaid", "Openbaar groen", "neutral", 0.4, 0.0)])
    store.close()
    client = TestClient(create_app(store_path, settings()), base_url=LOCAL, headers={"origin": LOCAL})
    choices = client.get("/api/corrections/topics").json()["topics"]
    assert choices["Openbaar groen"] == "Openbaar groen" and "afval" in choices
    assert client.post("/api/signals/call_note:1/correction", json={"topic": "Openbaar groen"}).status_code == 201


def test_purged_message_is_refused(filled: Path) -> None:
    """After the retention purge the correction is refused with a message and nothing is stored."""
    client = TestClient(create_app(filled, settings()), base_url=LOCAL, headers={"origin": LOCAL})
    store = SqliteStore(filled)
    store.purge(time.time() + 10)
    store.close()
    refused = client.post("/api/signals/twitter:1/correction", json={"topic": "afval"})
    assert refused.status_code == 404 and "niet (meer) bewaard" in refused.json()["error"]
    assert stored(filled) == []
    assert client.get("/api/corrections/queue").json()["items"] == []


def test_login_account_and_csrf(filled: Path) -> None:
    """Off loopback: no session is 401, no or a wrong CSRF token is refused, the logged-in account is stored."""
    app = dashboard_app(filled, settings(dashboard_accounts={"anna": hash_password(PASSWORD)}), "0.0.0.0")
    client = TestClient(app, base_url=REMOTE, follow_redirects=False)
    body = {"topic": "parkeren"}
    assert client.post("/api/signals/twitter:2/correction", json=body, headers={"origin": REMOTE}).status_code == 401
    assert client.get("/api/corrections/queue").status_code == 401
    assert client.post("/login", data={"user": "anna", "password": PASSWORD, "next": "/"},
                       headers={"origin": REMOTE}).status_code == 303
    token = client.cookies[CSRF_COOKIE]
    altered = token[:-1] + ("1" if token.endswith("0") else "0")
    for headers in ({"origin": REMOTE}, {"origin": REMOTE, "x-csrf-token": altered},
                    {"origin": "https://evil.example", "x-csrf-token": token}):
        refused = client.post("/api/signals/twitter:2/correction", json=body, headers=headers)
        assert refused.status_code == 403, (headers, refused.text)
    assert stored(filled) == []
    good = client.post("/api/signals/twitter:2/correction", json=body, headers={"origin": REMOTE, "x-csrf-token": token})
    assert good.status_code == 201
    no_personal_data(good.text)
    assert stored(filled) == [("twitter:2", "parkeren", None, "anna")]

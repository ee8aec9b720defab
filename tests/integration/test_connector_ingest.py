"""The call-note push endpoint: token check, per-record validation, field mapping, and the runner bridge."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from pipeline.core.signal import RawSignal
from pipeline.runners.local import LocalRunner
from pipeline.sinks.sqlite.sink import SqliteSink
from pipeline.sources.connectors.ingest import INGEST_PATH, IngestQueue, apply_mapping, check_mapping, ingest_routes

TOKENS = ["kcc-token-1", "crm-token-2"]
GOOD = {"id": "N-1", "datum": "2024-06-11 14:03", "notitie": "mw belt over grofvuil, graag terugbellen",
        "team": "KCC", "terugbellen": "ja"}


def client_for(received: list[list[RawSignal]], mapping: dict[str, str] | None = None, **options: Any) -> TestClient:
    """A test client for an app with only the ingest route, collecting what it hands on."""
    app = Starlette(routes=ingest_routes(received.append, TOKENS, mapping, **options))
    return TestClient(app)


def auth(token: str = "crm-token-2") -> dict[str, str]:
    """The Authorization header."""
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic a2NjOnRva2Vu"},
                                     {"Authorization": "Bearer "}, {"Authorization": "kcc-token-1"}])
def test_bad_or_missing_token_is_refused_the_same_way(headers: dict[str, str]) -> None:
    received: list[list[RawSignal]] = []
    response = client_for(received).post(INGEST_PATH, json=[GOOD], headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized: send a valid token as 'Authorization: Bearer <token>'"}
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert received == []


def test_no_configured_tokens_refuses_everything() -> None:
    received: list[list[RawSignal]] = []
    app = Starlette(routes=ingest_routes(received.append, [], None))
    response = TestClient(app).post(INGEST_PATH, json=[GOOD], headers={"Authorization": "Bearer "})
    assert response.status_code == 401 and received == []


def test_mixed_batch_accepts_good_records_and_explains_bad_ones() -> None:
    received: list[list[RawSignal]] = []
    notes = [GOOD,
             {"id": "N-2", "datum": "2024-06-11 14:05"},
             "not an object",
             {"id": "N-3", "datum": "gisteren", "notitie": "lantaarnpaal kapot"},
             {"datum": "2024-06-11T12:10:00Z", "notitie": "vraag over paspoort", "doorgezet_naar": "Burgerzaken"}]
    response = client_for(received).post(INGEST_PATH, json={"notes": notes}, headers=auth("kcc-token-1"))
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert [r["index"] for r in body["rejected"]] == [1, 2, 3]
    reasons = [r["reason"] for r in body["rejected"]]
    assert "no note text" in reasons[0] and "must be a JSON object" in reasons[1] and "time cannot be read" in reasons[2] and "gisteren" not in reasons[2]
    (batch,) = received
    assert [s.id for s in batch] == body["ids"] and body["ids"][0] == "call_note:N-1"
    assert batch[0].meta == {"team": "KCC", "callback": True}
    assert batch[1].id.startswith("call_note:") and batch[1].meta == {"forwarded_to": "Burgerzaken"}


def test_all_bad_is_422_and_broken_bodies_are_400_or_413() -> None:
    received: list[list[RawSignal]] = []
    client = client_for(received, max_batch=3)
    response = client.post(INGEST_PATH, json=[{"notitie": "geen tijd"}], headers=auth())
    assert response.status_code == 422 and "no time" in response.json()["rejected"][0]["reason"]
    response = client.post(INGEST_PATH, content=b"{not json", headers=auth())
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]
    response = client.post(INGEST_PATH, json={"records": []}, headers=auth())
    assert response.status_code == 400 and "array of notes" in response.json()["error"]
    response = client.post(INGEST_PATH, json=[GOOD] * 4, headers=auth())
    assert response.status_code == 413 and "limit is 3" in response.json()["error"]
    assert received == []


def test_field_mapping_of_the_pushing_system() -> None:
    received: list[list[RawSignal]] = []
    mapping = {"id": "CaseNumber", "created_at": "LoggedAt", "text": "Summary", "team": "Department",
               "callback": "Call Back Requested", "forwarded_to": "RoutedTo", "author": "AgentCode"}
    record = {"CaseNumber": "C-77", "LoggedAt": "2024-06-11T09:00:00+02:00", "Summary": "klacht over parkeren",
              "Department": "Parkeren", "Call Back Requested": "Y", "RoutedTo": "Handhaving", "AgentCode": "a12",
              "text": "an unrelated field the CRM also sends"}
    response = client_for(received, mapping).post(INGEST_PATH, json=[record], headers=auth())
    assert response.status_code == 200, response.text
    (signal,) = received[0]
    assert signal.id == "call_note:C-77" and signal.text == "klacht over parkeren" and signal.author == "a12"
    assert signal.meta == {"team": "Parkeren", "callback": True, "forwarded_to": "Handhaving"}
    with pytest.raises(ValueError, match="unknown call-note field"):
        check_mapping({"urgency": "Prio"})
    assert apply_mapping({"Team": "x"}, check_mapping({"team": "Afdeling"})) == {"team": "x"}


def test_receiver_failure_is_503_so_the_client_retries() -> None:
    def broken(signals: list[RawSignal]) -> None:
        """A receiver that always fails."""
        raise RuntimeError("database is locked")

    app = Starlette(routes=ingest_routes(broken, TOKENS, None))
    response = TestClient(app).post(INGEST_PATH, json=[GOOD], headers=auth())
    assert response.status_code == 503 and "retry" in response.json()["error"]


class EchoEnricher:
    """Stands in for the enricher: the raw signal as the document."""

    def enrich(self, raw: RawSignal) -> dict[str, Any]:
        """The raw signal as its own document."""
        return raw.to_dict()

    def enrich_many(self, raws: list[RawSignal]) -> list[dict[str, Any]]:
        """Each raw signal as its own document."""
        return [self.enrich(r) for r in raws]


def test_ingest_queue_answers_only_after_the_runner_stored_the_notes(store_path: Path) -> None:
    bridge = IngestQueue(store_timeout=5)
    sink = SqliteSink(store_path).open()
    store = sink.store
    stop = threading.Event()
    runner = LocalRunner(bridge, sink, EchoEnricher())
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    try:
        app = Starlette(routes=ingest_routes(bridge.on_signals, TOKENS, None))
        client = TestClient(app)
        for _ in range(50):  # wait until the runner consumes
            if bridge._consuming.is_set():
                break
            threading.Event().wait(0.02)
        response = client.post(INGEST_PATH, json=[GOOD, {**GOOD, "id": "N-9"}], headers=auth())
        assert response.status_code == 200, response.text
        assert store.count() == 2  # stored before the answer was sent
        assert store.load_cursor(bridge.name) is not None
    finally:
        stop.set()
        thread.join(5)
        store.close()
    assert not thread.is_alive()
    unconsumed = TestClient(Starlette(routes=ingest_routes(bridge.on_signals, TOKENS, None)))
    response = unconsumed.post(INGEST_PATH, json=[GOOD], headers=auth())
    assert response.status_code == 503 and "StoreUnavailable" in response.json()["error"]

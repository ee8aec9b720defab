"""The tracking endpoint: GET pixel and POST beacons become site_search signals; bad requests get a reason."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from pipeline.apps.webteam.review import GroupFilter, ReviewService
from pipeline.apps.webteam.tracking import MAX_BODY_BYTES, PIXEL, tracking_routes
from pipeline.core.signal import RawSignal
from pipeline.enrich.search_query import analyse_query
from pipeline.sinks.sqlite.store import SqliteStore


@pytest.fixture
def received() -> list[RawSignal]:
    """Signals handed to the receiver."""
    return []


@pytest.fixture
def client(received: list[RawSignal]) -> TestClient:
    """A test client for the tracking routes collecting signals."""
    app = Starlette(routes=tracking_routes(received.append))
    return TestClient(app)


def test_get_pixel_makes_a_signal(client: TestClient, received: list[RawSignal]) -> None:
    response = client.get("/track/search", params={"q": " parkeer vergunnig ", "category": "parkeren", "results": "0"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert response.content == PIXEL
    assert response.headers["access-control-allow-origin"] == "*"
    [signal] = received
    assert signal.channel == "site_search"
    assert signal.id.startswith("site_search:") and len(signal.id) > len("site_search:") + 16
    assert signal.text == "parkeer vergunnig"
    assert signal.meta == {"results": 0, "category": "parkeren"}
    assert signal.created_at.tzinfo is not None


def test_matomo_parameter_names(client: TestClient, received: list[RawSignal]) -> None:
    assert client.get("/track/search?search=paspoort&search_cat=burgerzaken&search_count=7").status_code == 200
    assert received[0].text == "paspoort"
    assert received[0].meta == {"results": 7, "category": "burgerzaken"}


def test_post_json_form_and_text_beacons(client: TestClient, received: list[RawSignal]) -> None:
    assert client.post("/track/search", json={"q": "afvalkalender", "results": 0}).status_code == 204
    assert client.post("/track/search", data={"q": "grofvuil", "results": "3"}).status_code == 204
    text_beacon = client.post("/track/search", content=json.dumps({"q": "wmo", "results": 1}),
                              headers={"content-type": "text/plain;charset=UTF-8"})
    assert text_beacon.status_code == 204
    assert [(s.text, s.meta.get("results")) for s in received] == [("afvalkalender", 0), ("grofvuil", 3), ("wmo", 1)]


def test_results_may_be_unknown(client: TestClient, received: list[RawSignal]) -> None:
    assert client.get("/track/search?q=zwembad").status_code == 200
    assert received[0].meta == {}


def test_client_id_makes_redelivery_idempotent(client: TestClient, received: list[RawSignal]) -> None:
    for _ in range(2):
        client.post("/track/search", json={"q": "paspoort", "results": 0, "id": "evt-42"})
    assert received[0].id == received[1].id


@pytest.mark.parametrize("params,reason", [
    ({}, "missing search text"),
    ({"q": "   "}, "missing search text"),
    ({"q": "x" * 501}, "longer than 500"),
    ({"q": "paspoort", "results": "-1"}, "whole number"),
    ({"q": "paspoort", "results": "veel"}, "whole number"),
    ({"q": "paspoort", "category": "c" * 101}, "category"),
])
def test_bad_requests_get_400_with_reason(client: TestClient, received: list[RawSignal], params: dict,
                                          reason: str) -> None:
    response = client.get("/track/search", params=params)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert received == []


def test_bad_beacon_bodies(client: TestClient, received: list[RawSignal]) -> None:
    assert client.post("/track/search", content=b"{not json", headers={"content-type": "application/json"}).status_code == 400
    assert client.post("/track/search", json=[1, 2]).status_code == 400
    assert client.post("/track/search", content=b"\xff\xfe", headers={"content-type": "text/plain"}).status_code == 400
    big = client.post("/track/search", content=b"q=" + b"a" * MAX_BODY_BYTES,
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413
    assert received == []


def test_preflight_allows_json_beacons(client: TestClient) -> None:
    response = client.options("/track/search")
    assert response.status_code == 204
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "Content-Type"


def test_receiver_failure_gives_503() -> None:
    def broken(signal: RawSignal) -> None:
        """A receiver that fails."""
        raise RuntimeError("store is down")

    client = TestClient(Starlette(routes=tracking_routes(broken)))
    assert client.get("/track/search?q=paspoort").status_code == 503


def test_beacon_to_store_to_review_end_to_end(store_path: Path) -> None:
    store = SqliteStore(store_path)

    def store_signal(signal: RawSignal) -> None:
        """Enrich the search part and store it."""
        doc = {**signal.to_dict(), "query": analyse_query(signal.text, signal.meta)}
        store.write("tracking", None, [doc])

    client = TestClient(Starlette(routes=tracking_routes(store_signal)))
    for query, results in [("parkeervergunning", 0), ("parkeer vergunning", 0), ("parkeervergunnig", 0),
                           ("paspoort", 4)]:
        assert client.get("/track/search", params={"q": query, "results": results}).status_code == 200
    store.close()
    groups = ReviewService(store_path).groups(GroupFilter(window="1d"))["groups"]
    assert [(g["group"], g["searches"], g["zero_results"]) for g in groups] == [("parkeervergunning", 3, 3)]
    assert groups[0]["topic"] == "parkeren"

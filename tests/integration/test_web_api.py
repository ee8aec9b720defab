"""The dashboard API through Starlette's TestClient: payloads, validation, missing stores and headers."""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from pipeline.apps.dashboard.app import create_app
from pipeline.bench.synthetic_signals import enriched_doc
from pipeline.core.settings import Settings
from pipeline.enrich.pii.boundary import dead_letter
from pipeline.sinks.sqlite.schema import SCHEMA_VERSION
from pipeline.sinks.sqlite.store import SqliteStore

with warnings.catch_warnings():  # starlette 1.x prefers httpx2 but works with httpx
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

NOW = 1_789_999_200.0  # a whole hour in unix seconds


def client_for(store_path: Path, municipality: str = "Zeist") -> TestClient:
    """A TestClient on a dashboard over `store_path`."""
    settings = Settings(municipality=municipality, neighbourhoods=["Centrum", "Kerckebosch"])
    return TestClient(create_app(store_path, settings))


@pytest.fixture
def filled(store_path: Path) -> Path:
    """A store with a handful of signals in the last hour and one six days earlier."""
    store = SqliteStore(store_path)
    store.write("test", {"n": 1}, [
        enriched_doc("twitter:1", NOW - 50, "Weg afgesloten, 50% omweg", topic="verkeer", place="Centrum"),
        enriched_doc("facebook:1", NOW - 40, "Mooi plantsoen", topic="openbare_ruimte", sentiment="positive"),
        enriched_doc("call_note:1", NOW - 30, "Niet teruggebeld", topic="dienstverlening", pii=("phone",)),
        enriched_doc("site_search:1", NOW - 20, "grof vuil", topic=None, sentiment=None,
                     query=("grof vuil", "grofvuil", True)),
        enriched_doc("site_search:2", NOW - 10, "grofvuil", topic=None, sentiment=None,
                     query=("grofvuil", "grofvuil", False)),
        enriched_doc("twitter:2", NOW - 6 * 86_400, "Oud bericht", topic="afval"),
    ], [dead_letter("test", "line 9", "invalid JSON", "{")])
    store.close()
    return store_path


def test_page_has_csp_and_escaped_municipality(store_path: Path) -> None:
    """The page and every response carry the CSP; the municipality name is HTML-escaped."""
    client = client_for(store_path, municipality="<b>Zeist</b>")
    response = client.get("/")
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "Gemeente &lt;b&gt;Zeist&lt;/b&gt;" in response.text and "<b>Zeist" not in response.text
    assert "<script>" not in response.text  # no inline script: the CSP would block it
    for path in ("/api/summary", "/static/js/app.js", "/api/nope"):
        assert "default-src 'self'" in client.get(path).headers["content-security-policy"]


def test_static_files_are_served(store_path: Path) -> None:
    """CSS and the JavaScript modules are served from /static."""
    client = client_for(store_path)
    for path in ("/static/app.css", "/static/js/app.js", "/static/js/charts.js", "/static/js/dom.js"):
        response = client.get(path)
        assert response.status_code == 200 and len(response.content) > 100, path
    assert "javascript" in client.get("/static/js/app.js").headers["content-type"]


def test_summary_volume_and_sentiment(filled: Path) -> None:
    """The period endpoints answer for the window anchored at the newest signal."""
    client = client_for(filled)
    summary = client.get("/api/summary", params={"period": "1h"}).json()
    assert summary["period"]["window"] == "1h" and summary["period"]["anchor"] == NOW - 10
    assert summary["total"] == 5 and summary["total_all"] == 6
    assert summary["channels"] == {"site_search": 2, "call_note": 1, "facebook": 1, "twitter": 1}
    assert (summary["searches"], summary["zero_result_searches"], summary["dead_letters"]) == (2, 1, 1)
    volume = client.get("/api/volume", params={"period": "1h", "by": "topic"}).json()
    assert len(volume["buckets"]) == 60 and volume["bucket_seconds"] == 60
    assert sorted((s["key"] or "-", s["total"]) for s in volume["series"]) == [
        ("-", 2), ("dienstverlening", 1), ("openbare_ruimte", 1), ("verkeer", 1)]
    sentiment = client.get("/api/sentiment", params={"period": "1h"}).json()
    assert sentiment["overall"]["negative"] == {"count": 2, "share": round(2 / 3, 4)}
    week = client.get("/api/volume", params={"period": "7d"}).json()
    assert week["bucket_seconds"] == 3_600 and sum(s["total"] for s in week["series"]) == 6


def test_signals_filters_and_paging(filled: Path) -> None:
    """/api/signals filters, bounds by period and pages with before/before_id."""
    client = client_for(filled)
    body = client.get("/api/signals", params={"limit": 2}).json()
    assert [s["id"] for s in body["signals"]] == ["site_search:2", "site_search:1"] and body["more"] is True
    last = body["signals"][-1]
    nxt = client.get("/api/signals", params={"limit": 2, "before": last["ts"], "before_id": last["id"]}).json()
    assert [s["id"] for s in nxt["signals"]] == ["call_note:1", "facebook:1"]
    assert nxt["signals"][0]["pii"] == ["phone"]
    found = client.get("/api/signals", params={"q": "50%", "channel": "twitter", "place": "Centrum"}).json()
    assert [s["id"] for s in found["signals"]] == ["twitter:1"]
    recent = client.get("/api/signals", params={"period": "1h", "topic": "afval"}).json()
    assert recent["signals"] == []
    everything = client.get("/api/signals", params={"period": "all", "topic": "afval"}).json()
    assert [s["id"] for s in everything["signals"]] == ["twitter:2"]


def test_zero_results_endpoint(filled: Path) -> None:
    """/api/zero-results groups spelling variants and reports the zero-result rate."""
    body = client_for(filled).get("/api/zero-results", params={"period": "24h"}).json()
    assert [(g["group"], g["zero_results"], g["searches"], g["zero_rate"]) for g in body["groups"]] == [
        ("grofvuil", 1, 2, 0.5)]


@pytest.mark.parametrize("path, params, message", [
    ("/api/summary", {"period": "2d"}, "period must be one of"),
    ("/api/volume", {"by": "place"}, "by must be one of"),
    ("/api/zero-results", {"limit": "0"}, "limit must be between"),
    ("/api/zero-results", {"limit": "ten"}, "limit must be a whole number"),
    ("/api/signals", {"channel": "tiktok"}, "channel must be one of"),
    ("/api/signals", {"sentiment": "angry"}, "sentiment must be one of"),
    ("/api/signals", {"limit": "1000"}, "limit must be between"),
    ("/api/signals", {"before": "yesterday"}, "before must be a number"),
    ("/api/signals", {"before": "nan"}, "before must be a finite number"),
    ("/api/signals", {"before_id": "twitter:1"}, "before_id needs before"),
    ("/api/signals", {"q": "x" * 201}, "q is longer than 200"),
])
def test_bad_parameters_give_400_with_a_message(filled: Path, path: str, params: dict, message: str) -> None:
    """Each invalid parameter gives 400 with a message saying what is wrong."""
    response = client_for(filled).get(path, params=params)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_missing_store_answers_empty_then_picks_up_the_new_store(store_path: Path) -> None:
    """Without a store every endpoint answers empty; once the runner creates it, data shows."""
    client = client_for(store_path)
    assert not store_path.exists()
    assert client.get("/api/health").json()["status"] == "waiting"
    summary = client.get("/api/summary").json()
    assert summary["total"] == 0 and summary["newest"] is None
    assert client.get("/api/volume").json()["series"] == []
    assert client.get("/api/sentiment").json()["totals"] == [0] * 96
    assert client.get("/api/signals").json()["signals"] == []
    assert client.get("/api/zero-results").json()["groups"] == []
    assert client.get("/").status_code == 200
    assert not store_path.exists()  # reading never creates the store
    store = SqliteStore(store_path)
    store.write(None, None, [enriched_doc("twitter:1", NOW)])
    store.close()
    assert client.get("/api/summary").json()["total"] == 1
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["schema_version"] == SCHEMA_VERSION


def test_empty_store_works(store_path: Path) -> None:
    """A store with tables but no rows answers with zeros."""
    SqliteStore(store_path).close()
    client = client_for(store_path)
    assert client.get("/api/summary", params={"period": "all"}).json()["total_all"] == 0
    assert client.get("/api/signals", params={"period": "7d"}).json()["signals"] == []
    assert client.get("/api/health").json()["status"] == "ok"


def test_unreadable_store_gives_503_not_a_crash(store_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A file that is not a database gives a logged 503, not a traceback."""
    store_path.write_bytes(b"this is not a database" * 100)
    client = client_for(store_path)
    response = client.get("/api/summary")
    assert response.status_code == 503 and "store cannot be read" in response.json()["error"]
    assert client.get("/api/health").status_code == 503
    assert any("dashboard query /api/summary failed" in r.getMessage() for r in caplog.records)


def test_unknown_api_path_is_json_404(store_path: Path) -> None:
    """Unknown /api/ paths answer JSON 404."""
    response = client_for(store_path).get("/api/does-not-exist")
    assert response.status_code == 404 and "no such endpoint" in response.json()["error"]


def test_meta_lists_places_and_labels(store_path: Path) -> None:
    """/api/meta gives the municipality, places from settings and Dutch labels."""
    meta = client_for(store_path).get("/api/meta").json()
    assert meta["municipality"] == "Zeist" and meta["places"] == ["Centrum", "Kerckebosch"]
    assert meta["channels"]["call_note"] == "Telefoonnotitie" and set(meta["windows"]) == {"1h", "24h", "7d", "all"}


def test_extra_routes_are_mounted_before_the_catch_alls(store_path: Path) -> None:
    """Routes passed in (e.g. the search review page) are reachable, also under /api/, and get the CSP."""
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    def hello(_request: object) -> PlainTextResponse:
        """A stand-in endpoint."""
        return PlainTextResponse("hallo")

    app = create_app(store_path, Settings(), extra_routes=[Route("/api/extra", hello), Route("/extra", hello)])
    client = TestClient(app)
    for path in ("/api/extra", "/extra"):
        response = client.get(path)
        assert response.status_code == 200 and response.text == "hallo"
        assert "default-src 'self'" in response.headers["content-security-policy"]


def test_a_selection_narrows_every_figure_of_the_live_page(store_path: Path) -> None:
    """With topic (or place) chosen, summary, both volume charts, sentiment and zero results count only those
    signals, and the counts agree with each other and with SQL straight on the table."""
    import sqlite3

    from pipeline.bench.synthetic_signals import sample_docs

    store = SqliteStore(store_path)
    store.write(None, None, sample_docs(800, end=1_772_000_000.0, span_seconds=20 * 3_600, seed=4))
    store.close()
    client = client_for(store_path)
    conn = sqlite3.connect(store_path)
    for name, value in (("topic", "verkeer"), ("place", "Centrum"), ("channel", "twitter")):
        expected = conn.execute(f"SELECT COUNT(*) FROM signals WHERE {name} = ?", (value,)).fetchone()[0]
        params = {"period": "all", name: value}
        summary = client.get("/api/summary", params=params).json()
        assert 0 < summary["total"] == expected < summary["total_all"], name
        assert sum(summary["channels"].values()) == expected
        by_channel = client.get("/api/volume", params={**params, "by": "channel"}).json()
        by_topic = client.get("/api/volume", params={**params, "by": "topic"}).json()
        assert sum(s["total"] for s in by_channel["series"]) == sum(s["total"] for s in by_topic["series"]) == expected
        if name == "topic":
            assert [s["key"] for s in by_topic["series"]] == ["verkeer"]
        sentiment = client.get("/api/sentiment", params=params).json()
        assert sum(sentiment["totals"]) == sum(summary["sentiments"].values())
        zero = client.get("/api/zero-results", params=params).json()
        assert all(g["zero_results"] <= summary["zero_result_searches"] for g in zero["groups"])
    whole = client.get("/api/summary", params={"period": "all"}).json()
    assert whole["total"] == whole["total_all"] and "selection" not in whole
    conn.close()

"""The review routes over HTTP: page and assets, JSON list, decisions, variants, CSV export, summary, errors."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from fakes.search_fixtures import repeated
from pipeline.apps.webteam.routes import review_routes
from pipeline.sinks.sqlite.store import SqliteStore

END_DAY = "2024-10-14"
WEEK_START = datetime(2024, 10, 8, tzinfo=timezone.utc).timestamp()


@pytest.fixture
def client(store_path: Path) -> TestClient:
    """A test client over a store with three zero-result groups."""
    store = SqliteStore(store_path)
    store.write(None, None, repeated("parkeervergunnig", 4, WEEK_START + 60, results=0)
                + repeated("paspoort", 2, WEEK_START + 3600, results=0)
                + repeated("<img src=x onerror=alert(1)>", 1, WEEK_START + 7200, results=0))
    store.close()
    return TestClient(Starlette(routes=review_routes(store_path)))


def test_page_and_assets_have_csp(client: TestClient) -> None:
    page = client.get("/review")
    assert page.status_code == 200 and "Zoektermen zonder resultaat" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<script type="module" src="/static/js/review.js">' in page.text   # served with every page's files
    assert '<link rel="stylesheet" href="/static/review.css">' in page.text and "<style" not in page.text
    assert 'aria-current="page">Zoektermen' in page.text


def test_groups_json(client: TestClient) -> None:
    data = client.get("/review/api/groups", params={"window": "7d", "end": END_DAY}).json()
    assert [(g["group"], g["zero_results"]) for g in data["groups"]][:2] == [("parkeervergunning", 4), ("paspoort", 2)]
    assert data["period"]["start"] == "2024-10-08T00:00:00Z"
    assert "parkeren" in data["topics"]


@pytest.mark.parametrize("params", [{"window": "3w"}, {"status": "done"}, {"sort": "colour"}, {"order": "up"},
                                    {"end": "14-10-2024"}])
def test_bad_parameters_give_400(client: TestClient, params: dict) -> None:
    response = client.get("/review/api/groups", params=params)
    assert response.status_code == 400
    assert response.json()["error"]


def test_status_workflow_over_http(client: TestClient) -> None:
    answer = client.post("/review/api/status", json={"group": "paspoort", "status": "handled",
                                                      "note": "synoniem 'pasport' toegevoegd"})
    assert answer.status_code == 200 and answer.json()["status"] == "handled"
    open_groups = client.get("/review/api/groups", params={"end": END_DAY}).json()["groups"]
    assert "paspoort" not in [g["group"] for g in open_groups]
    handled = client.get("/review/api/groups", params={"end": END_DAY, "status": "handled"}).json()["groups"]
    assert [(g["group"], g["note"]) for g in handled] == [("paspoort", "synoniem 'pasport' toegevoegd")]


def test_status_requires_json_and_valid_values(client: TestClient) -> None:
    form = client.post("/review/api/status", data={"group": "paspoort", "status": "handled"})
    assert form.status_code == 400 and "application/json" in form.json()["error"]
    assert client.post("/review/api/status", json={"group": "paspoort", "status": "done"}).status_code == 400
    assert client.post("/review/api/status", json={"status": "handled"}).status_code == 400
    assert client.post("/review/api/status", json=["paspoort"]).status_code == 400
    assert client.post("/review/api/status", content=b"{", headers={"content-type": "application/json"}).status_code == 400


def test_variants_and_csv_export(client: TestClient) -> None:
    variants = client.get("/review/api/variants", params={"group": "parkeervergunning", "end": END_DAY}).json()
    assert [(v["text"], v["searches"]) for v in variants["variants"]] == [("parkeervergunnig", 4)]
    assert client.get("/review/api/variants", params={"group": ""}).status_code == 400
    export = client.get("/review/api/export.csv", params={"end": END_DAY, "status": "all"})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [(r["group"], r["zero_results"], r["status"]) for r in rows][:2] == [
        ("parkeervergunning", "4", "open"), ("paspoort", "2", "open")]
    assert any(r["name"] == "<img src=x onerror=alert(1)>" for r in rows)


def test_summary_endpoint(client: TestClient) -> None:
    response = client.get("/review/api/summary", params={"end": END_DAY})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/markdown")
    assert "parkeervergunnig" in response.text
    assert "\\<img src=x" in response.text and " <img" not in response.text


def test_missing_store_gives_empty_answers(tmp_path: Path) -> None:
    client = TestClient(Starlette(routes=review_routes(tmp_path / "nothing.db")))
    assert client.get("/review/api/groups").json()["groups"] == []
    rows = list(csv.reader(io.StringIO(client.get("/review/api/export.csv").content.decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0][0] == "group"
    assert not (tmp_path / "nothing.db").exists()


def test_server_errors_are_json_500(store_path: Path) -> None:
    class Broken:
        """A review service that always fails."""
        def groups(self, flt):
            """Fail."""
            raise RuntimeError("disk on fire")

    client = TestClient(Starlette(routes=review_routes(store_path, service=Broken())))  # type: ignore[arg-type]
    response = client.get("/review/api/groups")
    assert response.status_code == 500 and "disk on fire" not in response.text

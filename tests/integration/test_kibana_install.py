"""`stadssignaal dashboards install` against a fake Kibana: what it sends, spaces, idempotency, errors."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fakes.kibana_server import FakeKibana, parse_multipart
from pipeline.cli.elasticsearch import dashboards
from pipeline.sinks.elasticsearch.kibana import DEFAULT_DASHBOARD_DIR, KibanaConfig, KibanaError, install_dashboards, space_id

FILES = sorted(p.name for p in DEFAULT_DASHBOARD_DIR.glob("*.ndjson"))


def imports(kibana: FakeKibana) -> list:
    """The import requests the fake Kibana received."""
    return [r for r in kibana.requests if r.path.endswith("/api/saved_objects/_import")]


def test_install_sends_each_file_with_overwrite_and_xsrf() -> None:
    with FakeKibana() as kibana:
        result = CliRunner().invoke(dashboards, ["install", "--kibana", kibana.url])
        assert result.exit_code == 0, result.output
        sent = imports(kibana)
        assert [r.path for r in sent] == ["/api/saved_objects/_import"] * len(FILES)
        assert all(r.method == "POST" and r.query == {"overwrite": ["true"]} for r in sent)
        assert all(r.headers.get("kbn-xsrf") for r in sent)
        uploaded = []
        for request in sent:
            ((field, filename, content),) = parse_multipart(request.headers["content-type"], request.body)
            assert field == "file"
            assert content == (DEFAULT_DASHBOARD_DIR / filename).read_bytes()
            uploaded.append(filename)
        assert uploaded == FILES
        stored = kibana.objects["default"]
        assert {("dashboard", i) for i in ("ss-dashboard-live", "ss-dashboard-webteam", "ss-dashboard-alerts")} \
            <= set(stored)
        assert "dashboards installed in space 'default'" in result.output


def test_install_is_idempotent() -> None:
    with FakeKibana() as kibana:
        config = KibanaConfig(kibana.url)
        first = install_dashboards(config, echo=lambda line: None)
        snapshot = json.dumps({f"{k[0]}/{k[1]}": v for k, v in kibana.objects["default"].items()}, sort_keys=True)
        second = install_dashboards(config, echo=lambda line: None)
        again = json.dumps({f"{k[0]}/{k[1]}": v for k, v in kibana.objects["default"].items()}, sort_keys=True)
    assert first.ok and second.ok
    assert [r.success_count for r in first.results] == [r.success_count for r in second.results]
    assert snapshot == again


def test_space_is_created_and_used_in_the_path() -> None:
    with FakeKibana() as kibana:
        result = CliRunner().invoke(dashboards, ["install", "--kibana", kibana.url, "--space", "Communicatie Team"])
        assert result.exit_code == 0, result.output
        assert kibana.spaces["communicatie-team"]["name"] == "Communicatie Team"
        assert {r.path for r in imports(kibana)} == {"/s/communicatie-team/api/saved_objects/_import"}
        assert kibana.objects["default"] == {} and kibana.objects["communicatie-team"]
        created = [r for r in kibana.requests if r.method == "POST" and r.path == "/api/spaces/space"]
        assert len(created) == 1 and created[0].headers.get("kbn-xsrf")
        kibana.requests.clear()
        assert CliRunner().invoke(dashboards, ["install", "--kibana", kibana.url,
                                               "--space", "Communicatie Team"]).exit_code == 0
        assert not [r for r in kibana.requests if r.method == "POST" and r.path == "/api/spaces/space"]


def test_api_key_and_basic_auth_headers() -> None:
    with FakeKibana(api_key="a2V5OnNlY3JldA==") as kibana:
        report = install_dashboards(KibanaConfig(kibana.url, api_key="key:secret"), echo=lambda line: None)
        assert report.ok
        assert {r.headers["authorization"] for r in kibana.requests} == {"ApiKey a2V5OnNlY3JldA=="}
    with FakeKibana(basic=("kibana_admin", "pw-123")) as kibana:
        url = kibana.url.replace("http://", "http://kibana_admin:pw-123@")
        config = KibanaConfig(url)
        assert "pw-123" not in repr(config) and config.url == kibana.url
        assert install_dashboards(config, echo=lambda line: None).ok
        token = base64.b64encode(b"kibana_admin:pw-123").decode()
        assert {r.headers["authorization"] for r in kibana.requests} == {f"Basic {token}"}


def test_refusals_exit_non_zero_with_reason() -> None:
    with FakeKibana(api_key="right") as kibana:
        result = CliRunner().invoke(dashboards, ["install", "--kibana", kibana.url, "--api-key", "wrong"])
    assert result.exit_code == 1
    assert "HTTP 401" in result.output


def test_import_errors_are_reported(tmp_path: Path) -> None:
    broken = {"id": "lonely", "type": "dashboard", "attributes": {"title": "x"},
              "references": [{"name": "1:panel_1", "type": "lens", "id": "does-not-exist"}]}
    (tmp_path / "broken.ndjson").write_text(json.dumps(broken) + "\n")
    with FakeKibana() as kibana:
        result = CliRunner().invoke(dashboards, ["install", "--kibana", kibana.url, "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "missing_references" in result.output and "lonely" in result.output


def test_unreachable_kibana_is_a_clear_error() -> None:
    with FakeKibana() as kibana:
        url = kibana.url
    with pytest.raises(KibanaError, match="cannot reach Kibana"):
        install_dashboards(KibanaConfig(url), echo=lambda line: None)


def test_space_ids() -> None:
    assert space_id("Webteam") == "webteam"
    assert space_id("KCC / Publiekszaken") == "kcc-publiekszaken"
    with pytest.raises(KibanaError):
        space_id("!!!")

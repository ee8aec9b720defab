"""`stadssignaal es setup`: the requests it sends, idempotency, --dry-run and existing indices."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from fakes.es_server import FakeElasticsearch, sample_signal
from pipeline.cli.elasticsearch import es
from pipeline.sinks.elasticsearch.config import EsConfig
from pipeline.sinks.elasticsearch.index_design import TEMPLATE_DIR
from pipeline.sinks.elasticsearch.setup import SetupError, run_setup


def load(name: str) -> dict:
    """A template data file as JSON."""
    return json.loads((TEMPLATE_DIR / name).read_text(encoding="utf-8"))


@pytest.fixture
def fake() -> FakeElasticsearch:
    """A running fake Elasticsearch."""
    with FakeElasticsearch() as server:
        yield server


def test_setup_sends_policy_templates_and_alias_checks(fake: FakeElasticsearch) -> None:
    run_setup(EsConfig(urls=(fake.url,)), echo=lambda line: None)
    assert [(r.method, r.path) for r in fake.requests] == [
        ("GET", "/"),
        ("PUT", "/_ilm/policy/stadssignaal-retention"),
        ("PUT", "/_index_template/stadssignaal-signals"),
        ("PUT", "/_index_template/stadssignaal-alerts"),
        ("PUT", "/_index_template/stadssignaal-deadletters"),
        ("GET", "/stadssignaal-signals-*/_alias"),
        ("GET", "/stadssignaal-alerts-*/_alias"),
        ("GET", "/stadssignaal-deadletters-*/_alias"),
    ]
    policy, signals, alerts = (r.json() for r in fake.requests[1:4])
    assert signals == load("signals-template.json")
    assert alerts == load("alerts-template.json")
    assert policy["policy"]["phases"]["delete"] == {"min_age": "90d", "actions": {"delete": {}}}
    assert all("compatible-with=8" in r.headers["content-type"] for r in fake.requests[1:4])


def test_setup_is_idempotent(fake: FakeElasticsearch) -> None:
    config = EsConfig(urls=(fake.url,))
    run_setup(config, echo=lambda line: None)
    first = ([(r.method, r.path, r.body) for r in fake.requests], json.dumps(fake.templates, sort_keys=True),
             json.dumps(fake.policies, sort_keys=True))
    fake.requests.clear()
    run_setup(config, echo=lambda line: None)
    second = ([(r.method, r.path, r.body) for r in fake.requests], json.dumps(fake.templates, sort_keys=True),
              json.dumps(fake.policies, sort_keys=True))
    assert first == second


def test_cli_retention_days_and_names(fake: FakeElasticsearch) -> None:
    result = CliRunner().invoke(es, ["setup", "--es-url", fake.url, "--retention-days", "30"])
    assert result.exit_code == 0, result.output
    assert "setup complete: retention 30 days" in result.output
    assert fake.policies["stadssignaal-retention"]["policy"]["phases"]["delete"]["min_age"] == "30d"


def test_dry_run_prints_every_request_and_sends_none(fake: FakeElasticsearch) -> None:
    result = CliRunner().invoke(es, ["setup", "--dry-run", "--es-url", fake.url])
    assert result.exit_code == 0, result.output
    assert fake.requests == []
    out = result.output
    for line in ("GET /", "PUT /_ilm/policy/stadssignaal-retention", "PUT /_index_template/stadssignaal-signals",
                 "PUT /_index_template/stadssignaal-alerts", "GET /stadssignaal-signals-*/_alias",
                 "GET /stadssignaal-alerts-*/_alias", "POST /_aliases", "PUT /stadssignaal-signals-*/_mapping",
                 "PUT /stadssignaal-alerts-*/_mapping"):
        assert line in out, line
    assert '"analyzer": "dutch"' in out and '"min_age": "90d"' in out


def test_existing_indices_get_the_alias_and_new_fields(fake: FakeElasticsearch) -> None:
    fake.add_index("stadssignaal-signals-2024.01.01")
    fake.add_index("stadssignaal-signals-2024.01.02", aliases=("stadssignaal-signals",))
    run_setup(EsConfig(urls=(fake.url,)), echo=lambda line: None)
    writes = [(r.method, r.path) for r in fake.writes()]
    assert ("POST", "/_aliases") in writes and ("PUT", "/stadssignaal-signals-*/_mapping") in writes
    assert ("PUT", "/stadssignaal-alerts-*/_mapping") not in writes  # no alert indices yet
    alias_request = next(r for r in fake.writes() if r.path == "/_aliases")
    assert alias_request.json() == {"actions": [{"add": {"index": "stadssignaal-signals-2024.01.01",
                                                         "alias": "stadssignaal-signals"}}]}
    index = fake.indices["stadssignaal-signals-2024.01.01"]
    assert index.aliases == {"stadssignaal-signals"}
    assert index.mapping["properties"]["text"]["analyzer"] == "dutch"


@pytest.mark.parametrize("version", ["7.17.0", "10.0.0"])
def test_unsupported_version_is_refused(version: str) -> None:
    with FakeElasticsearch(version=version) as server:
        with pytest.raises(SetupError, match=r"8\.x or 9\.x"):
            run_setup(EsConfig(urls=(server.url,)), echo=lambda line: None)
        assert [r.method for r in server.writes()] == []


def test_refusal_exits_non_zero_with_the_reason() -> None:
    with FakeElasticsearch(api_key="right") as server:
        result = CliRunner().invoke(es, ["setup", "--es-url", server.url, "--api-key", "wrong"])
    assert result.exit_code == 1
    assert "HTTP 401" in result.output and "wrong" not in result.output


def test_templates_make_the_sample_documents_indexable(fake: FakeElasticsearch) -> None:
    """After setup, the fake's mapper (driven by the real template) accepts a full enriched signal."""
    run_setup(EsConfig(urls=(fake.url,)), echo=lambda line: None)
    from pipeline.sinks.elasticsearch.sink import ElasticsearchSink

    sink = ElasticsearchSink(EsConfig(urls=(fake.url,), flush_interval=0.05))
    sink.write([sample_signal(1, location={"lat": 52.09, "lon": 5.23}, subtopic="wegwerkzaamheden")])
    assert sink.flush() == []
    sink.close()
    stored = fake.documents()["twitter:1"].source
    assert stored["subtopic"] == {"code": "wegwerkzaamheden"}


def test_every_command_has_help() -> None:
    from pipeline.cli.elasticsearch import bench_es, dashboards

    for group, args in ((es, ["setup", "--help"]), (dashboards, ["install", "--help"]), (bench_es, ["--help"]),
                        (es, ["--help"]), (dashboards, ["--help"])):
        result = CliRunner().invoke(group, args)
        assert result.exit_code == 0 and "Usage:" in result.output and len(result.output) > 100

"""Alerts in Elasticsearch (against the fake server): one document per episode, listing, the `alerts --es-url`
command, and the alert sink writing to Elasticsearch while its state stays local."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from fakes.es_server import FakeElasticsearch
from pipeline.alerts.model import Alert, AlertEvent, Example, dashboard_link
from pipeline.cli.alerts import alerts_command
from pipeline.sinks.elasticsearch.alert_store import EsAlertStore
from pipeline.sinks.elasticsearch.config import EsConfig
from pipeline.sinks.elasticsearch.setup import run_setup

START = datetime(2026, 3, 3, 14, 0, tzinfo=timezone.utc)
FAST = {"backoff_initial": 0.01, "backoff_max": 0.05, "max_retries": 1}


def _alert(topic: str = "verkeer", start: datetime = START, observed: int = 18, end: datetime | None = None) -> Alert:
    scope = {"type": "place", "value": "Centrum"}
    return Alert(id=f"{topic}-{start:%Y%m%dT%H%MZ}", topic=topic, scope=scope, start=start, end=end,
                 observed=observed, expected=1.2, p_value=3e-9, trigger="volume", new_terms=["slotlaan"],
                 examples=[Example(id="twitter:1", text="Slotlaan weer dicht", channel="twitter",
                                   created_at="2026-03-03T14:05:00Z", sentiment="negative")],
                 link=dashboard_link("", topic, scope, start, end), updated_at=start + timedelta(minutes=15))


@pytest.fixture
def fake() -> FakeElasticsearch:
    """A running fake Elasticsearch after `es setup` (templates with the alerts mapping installed)."""
    with FakeElasticsearch() as server:
        run_setup(EsConfig(urls=(server.url,)), echo=lambda line: None)
        yield server


def _store(fake: FakeElasticsearch, state_path: Path | None = None, readonly: bool = False) -> EsAlertStore:
    return EsAlertStore(EsConfig(urls=(fake.url,), **FAST), state_path=state_path, readonly=readonly)


def test_one_document_per_episode_overwritten_on_every_change(fake: FakeElasticsearch) -> None:
    store = _store(fake)
    assert store.write([AlertEvent("opened", _alert(), START + timedelta(minutes=17))]) == 1
    store.write([AlertEvent("updated", _alert(observed=35), START + timedelta(minutes=30)),
                 AlertEvent("closed", _alert(observed=35, end=START + timedelta(hours=1)), START + timedelta(hours=2))])
    store.write([AlertEvent("opened", _alert("afval", START + timedelta(days=1)), START + timedelta(days=1))])
    docs = fake.documents("stadssignaal-alerts-*")         # raises if one _id landed in two indices
    assert sorted(docs) == ["afval-20260304T1400Z", "verkeer-20260303T1400Z"]
    verkeer = docs["verkeer-20260303T1400Z"]
    assert verkeer.version == 2                              # opened, then the last of the next batch only
    assert verkeer.source["status"] == "closed" and verkeer.source["last_event"] == "closed"
    assert verkeer.source["observed"] == 35 and verkeer.source["end"] == "2026-03-03T15:00:00Z"
    indices = {name for name, index in fake.indices.items() if index.docs}
    assert indices == {"stadssignaal-alerts-2026.03.03", "stadssignaal-alerts-2026.03.04"}
    store.close()


def test_list_and_get_filter_like_the_sqlite_store(fake: FakeElasticsearch) -> None:
    store = _store(fake)
    assert store.list() == [] and store.get("verkeer-20260303T1400Z") is None      # no alerts index yet
    store.write([AlertEvent("closed", _alert(end=START + timedelta(hours=1)), START + timedelta(hours=2)),
                 AlertEvent("opened", _alert("afval", START + timedelta(days=1)), START + timedelta(days=1))])
    assert [a["topic"] for a in store.list()] == ["afval", "verkeer"]              # newest first
    assert [a["id"] for a in store.list(status="open")] == ["afval-20260304T1400Z"]
    assert [a["id"] for a in store.list(topic="verkeer")] == ["verkeer-20260303T1400Z"]
    assert [a["topic"] for a in store.list(since=START + timedelta(hours=12))] == ["afval"]
    assert [a["topic"] for a in store.list(limit=1)] == ["afval"]
    assert store.get("verkeer-20260303T1400Z")["examples"][0]["text"] == "Slotlaan weer dicht"
    searches = [r for r in fake.requests if r.path.endswith("/_search")]
    assert searches and all(r.path == "/stadssignaal-alerts/_search" for r in searches)   # through the alias
    store.close()


def test_detector_state_stays_in_the_local_file(fake: FakeElasticsearch, tmp_path: Path) -> None:
    store = _store(fake, state_path=tmp_path / "state.db")
    assert store.load_state() is None
    store.save_state({"version": 1, "x": [3]})
    store.close()
    again = _store(fake, state_path=tmp_path / "state.db")
    assert again.load_state() == {"version": 1, "x": [3]}
    assert fake.count("stadssignaal-alerts-*") == 0
    again.close()


def test_refused_alerts_are_logged_not_raised(fake: FakeElasticsearch, caplog: pytest.LogCaptureFixture) -> None:
    store = _store(fake)
    fake.fail_item("verkeer-20260303T1400Z", status=400, kind="document_parsing_exception", times=None)
    assert store.write([AlertEvent("opened", _alert(), START)]) == 0
    assert "did not store alert verkeer-20260303T1400Z" in caplog.text
    store.close()


def test_alerts_command_reads_from_elasticsearch(fake: FakeElasticsearch) -> None:
    store = _store(fake)
    store.write([AlertEvent("opened", _alert(), START)])
    store.close()
    result = CliRunner().invoke(alerts_command, ["--es-url", fake.url, "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [a["id"] for a in listed] == ["verkeer-20260303T1400Z"] and listed[0]["end"] is None
    table = CliRunner().invoke(alerts_command, ["--es-url", fake.url, "--topic", "afval"])
    assert table.exit_code == 0 and "no alerts" in table.output


def test_alerts_command_reports_an_unreachable_elasticsearch() -> None:
    with FakeElasticsearch() as server:
        url = server.url
    result = CliRunner().invoke(alerts_command, ["--es-url", url])
    assert result.exit_code != 0 and "cannot read alerts" in result.output


def test_the_elasticsearch_sink_stores_the_alerts_the_runner_feeds_it(fake: FakeElasticsearch, tmp_path: Path) -> None:
    from pipeline.alerts.evaluation.synthetic import Spike, StreamSpec, generate_stream
    from pipeline.runners.local import AlertFeed
    from pipeline.sinks.base import SinkBatch
    from pipeline.sinks.elasticsearch.contract import EsSink

    spec = StreamSpec(days=9, daily_total=1500, topic_shares={"verkeer": 0.5, "afval": 0.5}, seed=5)
    spike = Spike("verkeer", spec.start + timedelta(days=8, hours=9), "step", 4.0, 60)
    docs = generate_stream(spec, [spike]).docs
    state_path = tmp_path / "state.db"
    sink = EsSink(EsConfig(urls=(fake.url,), **FAST), state_path=state_path).open()
    alerts = AlertFeed(sink, save_every_seconds=1e9)
    for i in range(0, len(docs), 2000):
        assert sink.write(SinkBatch(alerts=alerts.observe(docs[i:i + 2000]))) == []
    alerts.save()
    sink.close()
    found = _store(fake, readonly=True).list()
    verkeer = [a for a in found if a["topic"] == "verkeer" and spike.start <= datetime.fromisoformat(
        a["start"].replace("Z", "+00:00")) <= spike.end]
    assert len(verkeer) == 1 and verkeer[0]["status"] == "closed"
    resumed = AlertFeed(EsSink(EsConfig(urls=(fake.url,), **FAST), state_path=state_path).open())
    assert resumed.detector.max_seen is not None        # the detector state was kept locally

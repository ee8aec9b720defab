"""The alert store (upsert per episode, detector state), the `alerts` command and the alerts view routes."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.testclient import TestClient

from pipeline.alerts.model import Alert, AlertEvent, Example, dashboard_link
from pipeline.apps.dashboard.alerts_routes import alerts_routes
from pipeline.cli.alerts import alerts_command, bench_alerts_command
from pipeline.sinks.sqlite.alerts import AlertStore
from pipeline.sinks.sqlite.store import SqliteStore

START = datetime(2026, 3, 3, 14, 0, tzinfo=timezone.utc)
FIELDS = {"topic", "scope", "start", "end", "observed", "expected", "examples"}


def _alert(topic: str = "verkeer", start: datetime = START, observed: int = 18, end: datetime | None = None) -> Alert:
    scope = {"type": "place", "value": "Centrum"}
    return Alert(id=f"{topic}-{start:%Y%m%dT%H%MZ}", topic=topic, scope=scope, start=start, end=end,
                 observed=observed, expected=1.2, p_value=3e-9, trigger="volume", new_terms=["slotlaan", "omleiding"],
                 examples=[Example(id=f"twitter:{i}", text=f"Slotlaan weer dicht [{i}]", channel="twitter",
                                   created_at="2026-03-03T14:05:00Z", sentiment="negative") for i in range(3)],
                 link=dashboard_link("", topic, scope, start, end), updated_at=start + timedelta(minutes=15))


def test_upsert_keeps_one_row_per_episode(store_path: Path) -> None:
    store = AlertStore(store_path)
    opened = _alert()
    assert store.write([AlertEvent("opened", opened, START + timedelta(minutes=17))]) == 1
    grown = _alert(observed=35)
    closed = _alert(observed=35, end=START + timedelta(hours=1))
    store.write([AlertEvent("updated", grown, START + timedelta(minutes=30)),
                 AlertEvent("closed", closed, START + timedelta(minutes=90))])
    store.write([AlertEvent("opened", _alert("afval", START + timedelta(days=1)), START + timedelta(days=1))])
    listed = store.list()
    assert [a["topic"] for a in listed] == ["afval", "verkeer"]             # newest first
    verkeer = store.get(opened.id)
    assert verkeer["observed"] == 35 and verkeer["status"] == "closed" and verkeer["last_event"] == "closed"
    assert verkeer["end"] == "2026-03-03T15:00:00Z"
    assert [a["id"] for a in store.list(status="open")] == ["afval-20260304T1400Z"]
    assert [a["id"] for a in store.list(topic="verkeer")] == [opened.id]
    assert store.list(since=START + timedelta(hours=12))[0]["topic"] == "afval"
    assert store.get("nope") is None
    store.close()


def test_alerts_live_next_to_the_signals_and_keep_detector_state(store_path: Path) -> None:
    signals = SqliteStore(store_path)
    alerts = AlertStore(store_path)
    alerts.write([AlertEvent("opened", _alert(), START)])
    assert alerts.load_state() is None
    alerts.save_state({"version": 1, "x": [1, 2]})
    alerts.save_state({"version": 1, "x": [3]})
    assert alerts.load_state() == {"version": 1, "x": [3]}
    assert signals.count() == 0
    tables = {r[0] for r in signals._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"signals", "alerts", "detector_state"} <= tables
    signals.close()
    alerts.close()


def test_reading_a_store_without_alerts_gives_nothing(store_path: Path) -> None:
    SqliteStore(store_path).close()
    reader = AlertStore(store_path, readonly=True)
    assert reader.list() == [] and reader.get("x") is None and reader.load_state() is None
    reader.close()


def test_alerts_command_json_and_table(store_path: Path) -> None:
    store = AlertStore(store_path)
    store.write([AlertEvent("closed", _alert(end=START + timedelta(hours=1)), START + timedelta(hours=1)),
                 AlertEvent("opened", _alert("afval", START + timedelta(hours=3)), START + timedelta(hours=3))])
    store.close()
    runner = CliRunner()
    result = runner.invoke(alerts_command, ["--store", str(store_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    alerts = json.loads(result.output)
    assert len(alerts) == 2 and all(FIELDS <= set(a) for a in alerts)
    afval, verkeer = alerts
    assert afval["end"] is None and verkeer["end"] == "2026-03-03T15:00:00Z"
    assert verkeer["start"] == "2026-03-03T14:00:00Z" and verkeer["scope"] == {"type": "place", "value": "Centrum"}
    assert verkeer["observed"] == 18 and verkeer["expected"] == 1.2
    assert [e["id"] for e in verkeer["examples"]] == ["twitter:0", "twitter:1", "twitter:2"]
    table = runner.invoke(alerts_command, ["--store", str(store_path), "--topic", "verkeer"])
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[0].split()[:5] == ["START", "(UTC)", "END", "(UTC)", "TOPIC"] and set(lines[1]) <= {"-", " "}
    assert len(lines) == 3 and "place=Centrum" in lines[2] and "15.0x" in lines[2]
    csv_out = runner.invoke(alerts_command, ["--store", str(store_path), "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(csv_out.output)))
    assert csv_out.exit_code == 0 and [r["topic"] for r in rows] == ["afval", "verkeer"] and rows[0]["end"] == "open"
    missing = runner.invoke(alerts_command, ["--store", str(store_path.parent / "none.db")])
    assert missing.exit_code == 1 and "store not found" in missing.output


def test_commands_have_help() -> None:
    runner = CliRunner()
    for command in (alerts_command, bench_alerts_command):
        result = runner.invoke(command, ["--help"])
        assert result.exit_code == 0 and "Usage" in result.output and len(result.output) > 200


def test_alerts_view_routes(store_path: Path) -> None:
    store = AlertStore(store_path)
    store.write([AlertEvent("opened", _alert(), START),
                 AlertEvent("closed", _alert("afval", START - timedelta(hours=2), end=START - timedelta(hours=1)), START)])
    store.close()
    client = TestClient(Starlette(routes=alerts_routes(store_path)))
    body = client.get("/api/alerts").json()
    assert body["count"] == 2 and body["alerts"][0]["topic"] == "verkeer"
    assert client.get("/api/alerts", params={"status": "closed"}).json()["alerts"][0]["topic"] == "afval"
    assert client.get("/api/alerts", params={"topic": "zorg"}).json() == {"alerts": [], "count": 0}
    assert client.get("/api/alerts", params={"limit": "x"}).status_code == 400
    assert client.get("/api/alerts", params={"status": "maybe"}).status_code == 400
    one = client.get("/api/alerts/verkeer-20260303T1400Z")
    assert one.status_code == 200 and one.json()["link"].startswith("/?topic=verkeer&place=Centrum")
    assert client.get("/api/alerts/unknown").status_code == 404
    page = client.get("/alerts")
    assert page.status_code == 200 and "/static/js/alerts.js" in page.text and "text/html" in page.headers["content-type"]
    assert "<style" not in page.text and 'aria-current="page">Pieken' in page.text
    curve = client.get("/api/alerts/verkeer-20260303T1400Z/curve").json()
    assert curve["bucket_seconds"] == 900 and len(curve["buckets"]) == len(curve["observed"]) == len(curve["expected"])
    note = client.post("/api/alerts/verkeer-20260303T1400Z/notes", json={"action": "ack", "note": "wegbeheer belt"})
    assert note.status_code == 201 and note.json()["account"] == "lokaal"
    assert client.post("/api/alerts/verkeer-20260303T1400Z/notes", json={"action": "oops"}).status_code == 400
    assert client.post("/api/alerts/unknown/notes", json={"action": "ack"}).status_code == 404
    acked = client.get("/api/alerts", params={"handling": "acknowledged"}).json()["alerts"]
    assert [a["id"] for a in acked] == ["verkeer-20260303T1400Z"] and acked[0]["notes"][0]["note"] == "wegbeheer belt"
    assert client.get("/api/alerts", params={"handling": "new"}).json()["alerts"][0]["topic"] == "afval"
    empty = TestClient(Starlette(routes=alerts_routes(store_path.parent / "absent.db")))
    assert empty.get("/api/alerts").json() == {"alerts": [], "count": 0}


def test_alert_feed_resumes_after_a_crash_without_losing_counts(tmp_path: Path) -> None:
    from pipeline.alerts.evaluation.synthetic import Spike, StreamSpec, generate_stream
    from pipeline.runners.local import AlertFeed
    from pipeline.sinks.base import SinkBatch
    from pipeline.sinks.sqlite.sink import SqliteSink

    spec = StreamSpec(days=9, daily_total=1500, topic_shares={"verkeer": 0.5, "afval": 0.5}, seed=5)
    spike = Spike("verkeer", spec.start + timedelta(days=8, hours=9), "step", 4.0, 60)
    docs = generate_stream(spec, [spike]).docs
    saved_at = next(i for i, d in enumerate(docs) if datetime.fromisoformat(d["created_at"]) >= spike.start)
    crash_at = next(i for i, d in enumerate(docs)
                    if datetime.fromisoformat(d["created_at"]) >= spike.start + timedelta(minutes=40))

    def feed(alerts: AlertFeed, sink: SqliteSink, part: list[dict]) -> None:
        for i in range(0, len(part), 400):
            events = alerts.observe(part[i:i + 400])
            sink.write(SinkBatch(docs=part[i:i + 400], alerts=events))
            alerts.stored(events)

    reference_path = tmp_path / "reference.db"
    sink = SqliteSink(reference_path).open()
    alerts = AlertFeed(sink, save_every_seconds=1e9)
    feed(alerts, sink, docs)
    sink.close()
    expected = AlertStore(reference_path).list()
    assert any(a["topic"] == "verkeer" and a["status"] == "closed" for a in expected)

    path = tmp_path / "crashing.db"
    sink = SqliteSink(path).open()
    alerts = AlertFeed(sink, save_every_seconds=1e9)
    feed(alerts, sink, docs[:saved_at])
    alerts.save()
    feed(alerts, sink, docs[saved_at:crash_at])            # stored, but the detector state of this part is lost
    resumed = AlertFeed(sink, save_every_seconds=1e9)      # restores the state and re-reads the stored signals
    sink.write(SinkBatch(alerts=resumed.catch_up()))
    feed(resumed, sink, docs[crash_at:])
    sink.close()
    assert AlertStore(path).list() == expected

"""End to end: personal data planted in text, nested meta, URLs, authors and bad lines is readable nowhere.

A replay runs through the local runner (with spike detection) into a store; the same lines go through the
`enrich` command with a dead-letter file; the dashboard's JSON API is read; then everything is purged. No planted
value may be found in any table of the store, the dead-letter file, the logs or an API response.
"""
from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.core.pseudonym_key import key_file_for
from pipeline.core.settings import Settings
from pipeline.enrich import Enricher
from pipeline.runners.local import AlertFeed, LocalRunner
from pipeline.sinks.sqlite.sink import SqliteSink
from pipeline.sinks.sqlite.store import connect
from pipeline.sources.replay import ReplaySource

PLANTED = [
    "Fatima", "Amrani", "12-03-1956", "Molenweg 59", "3701 AB", "06-12345678", "fatima.elamrani", "111222333",
    "NL91ABNA0417164300", "0417164300", "henk Bakker", "0687654321", "Pieter", "jan.jansen", "0611122233",
    "henkbakker1956", "0698765432", "kees.visser", "Kees Visser", "Ans Visser", "0612121212", "3812 XK",
    "Yilmaz", "0655544433", "petra.smit",
]


def _line(obj: dict) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


GOOD = [
    {"id": "call_note:1", "channel": "call_note", "created_at": "2026-11-20T08:00:00Z",
     "text": "Mevrouw Fatima El Amrani (geb. 12-03-1956) belt over grofvuil, woont Molenweg 59 bis, 3701 AB Zeist, "
             "tel 06-12345678, mail fatima.elamrani@example.nl, BSN 111222333, IBAN NL91ABNA0417164300",
     "author": "kcc-07",
     "meta": {"team": "KCC", "contact": {"phone": "0687654321", "naam": "Pieter de Vries"},
              "notes": ["bsn 111222333", "rekening NL91ABNA0417164300"], "callback": True}},
    {"id": "call_note:2", "channel": "call_note", "created_at": "2026-11-20T08:05:00Z",
     "text": "henk Bakker heeft schulden, wil hulp. Postcode 3812 XK. Graag terugbellen.",
     "url": "https://example.nl/melding?email=jan.jansen@example.nl&tel=0611122233"},
    {"id": "twitter:3", "channel": "twitter", "created_at": "2026-11-20T08:10:00Z", "author": "@henkbakker1956",
     "text": "Wanneer wordt de Slotlaan eindelijk opgeknapt? zie https://example.nl/x?tel=0655544433 #zeist"},
    {"id": "twitter:4", "channel": "twitter", "created_at": "2026-11-20T08:11:00Z", "author": "@buurt_zeist",
     "text": "Mw Yilmaz uit Kerckebosch meldt ratten bij de speeltuin"},
]
BAD = [
    _line({"id": "call_note:b1", "channel": "call_note", "created_at": "0698765432 kees.visser@example.nl",
           "text": "Kees Visser belt"}),
    b'{"id": "call_note:b2", "channel": "call_note", "text": "Ans Visser 0612121212 ',
    _line({"id": "fax:b3", "channel": "fax", "created_at": "2026-11-20T08:00:00Z",
           "text": "mail petra.smit@example.nl"}),
]


@pytest.fixture
def replay_file(tmp_path: Path) -> Path:
    """A JSONL replay with the good and bad lines mixed."""
    path = tmp_path / "replay.jsonl"
    lines = [_line(GOOD[0]), BAD[0], _line(GOOD[1]), BAD[1], _line(GOOD[2]), BAD[2], _line(GOOD[3])]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _leaks(text: str) -> list[str]:
    """The planted values found in a text."""
    return [value for value in PLANTED if value in text]


def _store_leaks(store_path: Path) -> dict[str, list[str]]:
    """Planted values per table of the store, every column of every row read as text."""
    conn = connect(store_path, readonly=True)
    found: dict[str, list[str]] = {}
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        for row in conn.execute(f'SELECT * FROM "{table}"'):
            for value in tuple(row):
                text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                for leak in _leaks(text):
                    found.setdefault(table, []).append(leak)
    conn.close()
    return found


def _api_leaks(store_path: Path, settings: Settings) -> dict[str, list[str]]:
    """Planted values per JSON API response of the dashboard."""
    from starlette.testclient import TestClient

    from pipeline.apps.dashboard.app import create_app
    from pipeline.apps.dashboard.features import feature_routes

    client = TestClient(create_app(store_path, settings, feature_routes(store_path)))
    found = {}
    for url in ("/api/signals?limit=100", "/api/summary", "/api/alerts", "/api/whats-new", "/api/attention",
                "/api/dossiers", "/api/meta", "/api/zero-results", "/api/volume", "/api/sentiment"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:200])
        leaks = _leaks(response.text)
        if leaks:
            found[url] = leaks
    return found


def test_no_planted_value_is_readable_anywhere_also_after_purge(
        tmp_path: Path, replay_file: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    store_path = tmp_path / "var" / "store.db"
    settings = Settings(store=store_path)
    sink = SqliteSink(store_path).open()
    runner = LocalRunner(ReplaySource(replay_file), sink, Enricher(settings), alerts=AlertFeed(sink))
    stats = runner.run()
    store = sink.store
    assert stats.signals == len(GOOD) and stats.dead == len(BAD)

    stored = {d["id"]: d for d in (json.loads(r["doc"]) for r in connect(store_path, readonly=True)
                                   .execute("SELECT doc FROM signals"))}
    assert stored["call_note:2"]["url"] == "https://example.nl/melding"
    assert stored["call_note:1"]["meta"]["team"] == "KCC" and stored["call_note:1"]["meta"]["callback"] is True
    assert "Slotlaan" in stored["twitter:3"]["text"] and "Kerckebosch" in stored["twitter:4"]["text"]
    dead = store.dead_letters()
    assert all(d["raw_bytes"] > 0 and len(d["raw_sha256"]) == 64 for d in dead)
    assert any("created_at" in d["reason"] for d in dead)

    monkeypatch.chdir(tmp_path)
    from pipeline.cli.main import main

    dead_file = tmp_path / "dead.jsonl"
    result = CliRunner().invoke(main, ["enrich", "--input", str(replay_file), "--dead-letters", str(dead_file)],
                                env={"STADSSIGNAAL_STORE": str(store_path)})
    assert result.exit_code == 0, result.output
    assert result.output.count('"id"') >= len(GOOD)

    assert _store_leaks(store_path) == {}
    assert _leaks(dead_file.read_text(encoding="utf-8")) == []
    assert _leaks(result.output) == []
    assert _leaks(caplog.text) == []
    assert _api_leaks(store_path, settings) == {}
    for path in (store_path, dead_file, key_file_for(store_path)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path

    conn = connect(store_path, readonly=True)
    examples_before = conn.execute("SELECT state FROM detector_state").fetchone()[0]
    conn.close()
    assert '"text":"' in examples_before and '"text":""' not in examples_before

    result = store.purge(before=4_102_444_800.0)   # everything stored so far
    store.close()
    assert result.signals == len(GOOD)
    conn = connect(store_path, readonly=True)
    assert conn.execute("SELECT COUNT(*) FROM signals").fetchone()[0] == 0
    state = json.loads(conn.execute("SELECT state FROM detector_state").fetchone()[0])
    conn.close()
    texts = []
    stack = [state]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("text"), str):
                texts.append(item["text"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    assert texts and all(text == "" for text in texts)
    assert _store_leaks(store_path) == {}
    assert _api_leaks(store_path, settings) == {}
    assert _leaks(caplog.text) == []

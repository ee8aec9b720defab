"""Source status: recorded in the store file next to the signals, shown by the `status` command."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from fakes.clock import FakeClock
from pipeline.cli.connectors import status_command
from pipeline.sinks.sqlite.store import SqliteStore
from pipeline.sources.connectors.status import StatusRecorder, read_status


def test_recorder_counts_and_keeps_the_last_error(store_path: Path) -> None:
    SqliteStore(store_path).close()  # the store exists; the status table is added next to its tables
    clock = FakeClock()
    recorder = StatusRecorder(store_path, clock=clock)
    recorder.polled("twitter-search", signals=10, dead=1, newest_item_at=clock.now - 30)
    clock.now += 60
    recorder.failed("twitter-search", "Twitter/X server error 503 for recent search:\n Service Unavailable")
    clock.now += 60
    recorder.polled("twitter-search", signals=5, newest_item_at=clock.now - 90)
    recorder.failed("facebook:42", "Facebook rejected the page access token (expired or invalidated): x")
    rows = {r.source: r for r in read_status(store_path, now=clock.now + 15)}
    twitter = rows["twitter-search"]
    assert (twitter.polls, twitter.errors, twitter.signals, twitter.dead) == (2, 1, 15, 1)
    assert twitter.state == "ok" and twitter.lag_seconds == 15
    assert twitter.last_error == "Twitter/X server error 503 for recent search: Service Unavailable"
    assert twitter.newest_item_at == clock.now - 90
    facebook = rows["facebook:42"]
    assert facebook.state == "error" and facebook.lag_seconds is None and facebook.signals == 0
    recorder.close()


def test_missing_table_or_file_reads_as_empty(tmp_path: Path) -> None:
    assert read_status(tmp_path / "nothing.db") == []
    SqliteStore(tmp_path / "plain.db").close()
    assert read_status(tmp_path / "plain.db") == []


def test_status_command_table_and_json(store_path: Path) -> None:
    recorder = StatusRecorder(store_path)
    recorder.polled("twitter-search", signals=3)
    recorder.failed("facebook:42", "Facebook rejected the page access token (expired or invalidated): boom")
    recorder.close()
    runner = CliRunner()
    table = runner.invoke(status_command, ["--store", str(store_path)])
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split() == ["source", "state", "last", "poll", "lag", "polls", "errors", "signals", "dead"]
    assert lines[1].split()[:2] == ["facebook:42", "error"]
    assert "last error" in lines[2] and "expired or invalidated" in lines[2]
    assert lines[3].split()[0] == "twitter-search" and lines[3].split()[1] == "ok"
    as_json = runner.invoke(status_command, ["--store", str(store_path), "--format", "json"])
    rows = json.loads(as_json.output)
    assert [r["source"] for r in rows] == ["facebook:42", "twitter-search"]
    assert rows[1]["signals"] == 3 and rows[1]["last_poll"].endswith("Z")
    assert 0 <= rows[1]["lag_seconds"] < 60  # polled just now
    missing = runner.invoke(status_command, ["--store", str(store_path.parent / "none.db")])
    assert missing.exit_code != 0 and "store file not found" in missing.output
    assert "--format" in runner.invoke(status_command, ["--help"]).output

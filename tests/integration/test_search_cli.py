"""The webteam's commands on a store: listings with headers in three formats, marking refuses unknown groups,
and a missing store is a clear error."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path

from click.testing import CliRunner

from fakes.search_fixtures import repeated
from pipeline.cli.search import search_groups, search_mark
from pipeline.sinks.sqlite.store import SqliteStore

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc).timestamp()


def _store(path: Path) -> Path:
    """A store with zero-result searches for two groups."""
    store = SqliteStore(path)
    store.write(None, None, repeated("parkeervergunning", 4, START) + repeated("paspoort", 2, START + 600))
    store.close()
    return path


def test_groups_in_table_json_and_csv_with_headers(store_path: Path) -> None:
    runner = CliRunner()
    _store(store_path)
    table = runner.invoke(search_groups, ["--store", str(store_path), "--end", "2026-03-02"])
    lines = [line for line in table.output.splitlines() if " .. " not in line]   # the period line goes to stderr
    assert table.exit_code == 0 and lines[0].split()[:3] == ["ZERO", "SEARCHES", "RATE"]
    assert lines[2].split()[0] == "4" and "parkeervergunning" in lines[2]
    rows = json.loads(runner.invoke(search_groups, ["--store", str(store_path), "--end", "2026-03-02",
                                                    "--format", "json"]).output)
    assert [(r["group"], r["zero_results"]) for r in rows] == [("parkeervergunning", 4), ("paspoort", 2)]
    out = runner.invoke(search_groups, ["--store", str(store_path), "--end", "2026-03-02", "--format", "csv"]).output
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert parsed[0]["group"] == "parkeervergunning" and parsed[1]["zero_results"] == "2"


def test_mark_refuses_an_unknown_group_and_a_missing_store(store_path: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    _store(store_path)
    unknown = runner.invoke(search_mark, ["--store", str(store_path), "does not exist xyz", "--status", "handled"])
    assert unknown.exit_code == 1 and "no search group 'does not exist xyz'" in unknown.output
    known = runner.invoke(search_mark, ["--store", str(store_path), "paspoort", "--status", "handled"])
    assert known.exit_code == 0 and known.output.startswith("paspoort: handled")
    missing = runner.invoke(search_groups, ["--store", str(tmp_path / "none.db")])
    assert missing.exit_code == 1 and "store not found" in missing.output
    assert not (tmp_path / "none.db").exists()

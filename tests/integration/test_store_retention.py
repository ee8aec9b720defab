"""Retention of the local store: old signals, their side rows and old dead letters go; the rest stays exact."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fakes.side_rows_data import ACCOUNT, dossiers, mixed_stream, rebuild, side_rows
from pipeline.cli.main import main
from pipeline.enrich.pii.boundary import dead_letter
from pipeline.sinks.sqlite.advisers import ensure_schema, save_dossier
from pipeline.sinks.sqlite.retention import DAY, RetentionTimer, cutoff_for
from pipeline.sinks.sqlite.store import SqliteStore, connect

NOW = 1_800_000_000.0


def _ids(path: Path) -> set[str]:
    conn = connect(path, readonly=True)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM signals")}
    finally:
        conn.close()


def test_purge_removes_only_what_was_stored_before_the_cutoff(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    stream = mixed_stream()
    store.write(None, None, stream[:4], stored_at=NOW - 100 * DAY)
    store.write(None, None, stream[4:], stored_at=NOW - 10 * DAY)
    result = store.purge(cutoff_for(90, now=NOW))
    assert result.signals == 4
    assert _ids(path) == {doc["id"] for doc in stream[4:]}
    assert store.purge(cutoff_for(90, now=NOW)).signals == 0
    store.close()


def test_purge_keeps_side_rows_equal_to_a_rebuild_from_the_remaining_signals(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    stream = mixed_stream()
    store.write(None, None, stream[:5], stored_at=NOW - 200 * DAY)
    assert ensure_schema(path, ACCOUNT)
    for dossier in dossiers():
        save_dossier(path, dossier)
    store.write(None, None, stream[5:], stored_at=NOW - DAY)
    before = side_rows(path)
    assert any(member[2] == "twitter:1" for member in before["members"])
    result = store.purge(cutoff_for(30, now=NOW), chunk=2)
    store.close()
    assert result.signals == 5
    purged = side_rows(path)
    assert not any(member[2] == "twitter:1" for member in purged["members"])
    assert all(term[2] not in {d["id"] for d in stream[:5]} for term in purged["terms"])
    rebuild(path)
    assert side_rows(path) == purged


def test_old_dead_letters_hold_raw_text_and_are_purged_too(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    old = dead_letter("replay", "1", "bad json", "{naam: Jan Jansen, 0612345678")
    old.at = old.at.fromtimestamp(NOW - 100 * DAY, tz=old.at.tzinfo)
    new = dead_letter("replay", "2", "bad json", "{")
    new.at = new.at.fromtimestamp(NOW - DAY, tz=new.at.tzinfo)
    store.write(None, None, [], [old, new])
    result = store.purge(cutoff_for(90, now=NOW))
    assert result.dead_letters == 1
    assert [d["position"] for d in store.dead_letters()] == ["2"]
    store.close()


class _CountingStore:
    """Records purge calls."""

    def __init__(self) -> None:
        self.cutoffs: list[float] = []

    def purge(self, before: float):
        self.cutoffs.append(before)
        return type("R", (), {"signals": 0, "dead_letters": 0})()


def test_timer_purges_at_most_once_per_interval_and_zero_days_switches_it_off() -> None:
    clock = [0.0]
    timer = RetentionTimer(30, every=3_600, clock=lambda: clock[0])
    store = _CountingStore()
    timer.maybe_purge(store)
    clock[0] = 1_000
    timer.maybe_purge(store)
    clock[0] = 3_700
    timer.maybe_purge(store)
    assert len(store.cutoffs) == 2
    off = RetentionTimer(0, clock=lambda: clock[0])
    assert off.maybe_purge(store) is None and len(store.cutoffs) == 2
    with pytest.raises(ValueError):
        cutoff_for(0)


def test_a_failing_purge_is_logged_and_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def purge(self, before: float):
            raise RuntimeError("disk full")

    assert RetentionTimer(30).maybe_purge(Broken()) is None
    assert "retention purge failed" in caplog.text


def test_purge_command_reports_what_it_removed(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    store.write(None, None, mixed_stream()[:3], stored_at=1.0)
    store.write(None, None, mixed_stream()[3:])
    store.close()
    result = CliRunner().invoke(main, ["purge", "--store", str(path), "--older-than-days", "30"])
    assert result.exit_code == 0, result.output
    assert "Removed 3 signals and 0 dead letters" in result.output
    assert len(_ids(path)) == len(mixed_stream()) - 3
    missing = CliRunner().invoke(main, ["purge", "--store", str(tmp_path / "none.db")])
    assert missing.exit_code != 0 and "no store" in missing.output

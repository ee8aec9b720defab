"""Failover: two workers over the mock broker, one SIGKILLed mid-stream and restarted. Every signal is counted
once per window (the count tables' changelogs equal the store's counts per key and 15-minute window), and
the failover raises no alert that a run without it does not."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.bench.kafka import write_input
from pipeline.bench.kafka_failover import failover_run

# the module fixture makes two whole failover runs, each with its own 300 s waits that report what they saw;
# the hang guard must outlast them, or a slow machine shows a bare timeout instead of the counts
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SIGNALS = 3000


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The same input through a clean run and through a run with a SIGKILL at 30%."""
    pytest.importorskip("confluent_kafka", reason="confluent-kafka (librdkafka's mock cluster) is not installed")
    workdir = tmp_path_factory.mktemp("failover")
    path = workdir / "input.jsonl"
    write_input(path, SIGNALS, "failover")
    config = workdir / "settings.toml"
    config.write_text("[alerts]\nwarmup_hours = 2\nwindow_minutes = 15\n", encoding="utf-8")
    # the count tables' cleanup runs every second, so it falls inside the run many times (every 30 s by
    # default; a 20,000-signal run spans several)
    env = {"STADSSIGNAAL_CONFIG": str(config), "STADSSIGNAAL_KAFKA_SNAPSHOT_SECONDS": "2",
           "STADSSIGNAAL_KAFKA_TABLE_CLEANUP_SECONDS": "1"}
    return {"clean": failover_run(path, SIGNALS, Path(workdir / "clean"), kill_at=None, extra_env=env),
            "killed": failover_run(path, SIGNALS, Path(workdir / "killed"), kill_at=0.3, extra_env=env)}


def test_every_signal_is_stored_once_in_both_runs(runs: dict[str, object]) -> None:
    for run in runs.values():
        assert run.complete and run.stored == SIGNALS  # type: ignore[attr-defined]


def test_windowed_counts_equal_the_store_after_a_failover(runs: dict[str, object]) -> None:
    killed = runs["killed"]
    assert killed.takeover_seconds is not None   # type: ignore[attr-defined]  # the survivor took over
    assert not any(killed.deleted.values())      # type: ignore[attr-defined]  # the broker kept every record
    assert killed.over == {"topic": 0, "channel": 0}    # type: ignore[attr-defined]
    assert killed.under == {"topic": 0, "channel": 0}   # type: ignore[attr-defined]


def test_a_failover_raises_no_alert_a_clean_run_does_not(runs: dict[str, object]) -> None:
    clean, killed = runs["clean"], runs["killed"]
    assert clean.alerts                                  # type: ignore[attr-defined]  # the input does alert
    assert killed.alerts <= clean.alerts                 # type: ignore[attr-defined]

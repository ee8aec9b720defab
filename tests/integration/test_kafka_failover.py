"""Failover: two workers over the mock broker, one SIGKILLed mid-stream and restarted. Every signal is counted
once per window (the count tables' changelogs equal the store's counts per key and 15-minute window), and
the failover raises no alert that a run without it does not. Spike detection is spread over the workers (a
detector per facts partition, each for a group of topics) and raises what one worker alone raises."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.bench.kafka import write_input
from pipeline.bench.kafka_failover import failover_run

pytestmark = pytest.mark.slow

SIGNALS = 3000


@pytest.fixture(scope="module")
def runs(setup: tuple[Path, Path, dict[str, str]]) -> dict[str, object]:
    """The same input through a clean run and through a run with a SIGKILL at 30%."""
    workdir, path, env = setup
    return {"clean": failover_run(path, SIGNALS, Path(workdir / "clean"), kill_at=None, extra_env=env),
            "killed": failover_run(path, SIGNALS, Path(workdir / "killed"), kill_at=0.3, extra_env=env)}


@pytest.fixture(scope="module")
def one_worker(setup: tuple[Path, Path, dict[str, str]]) -> object:
    """The same input through one worker alone."""
    workdir, path, env = setup
    return failover_run(path, SIGNALS, Path(workdir / "one"), kill_at=None, extra_env=env, workers_count=1)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """A work folder, the input and the workers' environment."""
    pytest.importorskip("confluent_kafka", reason="confluent-kafka (librdkafka's mock cluster) is not installed")
    workdir = tmp_path_factory.mktemp("failover")
    path = workdir / "input.jsonl"
    write_input(path, SIGNALS, "failover")
    config = workdir / "settings.toml"
    config.write_text("[alerts]\nwarmup_hours = 2\nwindow_minutes = 15\n", encoding="utf-8")
    # the count tables' cleanup runs every second, so it falls inside the run many times (every 30 s by
    # default; a 20,000-signal run spans several)
    # detection spread over the workers: one spike detector per facts partition (a group of topics each)
    env = {"STADSSIGNAAL_CONFIG": str(config), "STADSSIGNAAL_KAFKA_SNAPSHOT_SECONDS": "2",
           "STADSSIGNAAL_KAFKA_TABLE_CLEANUP_SECONDS": "1", "STADSSIGNAAL_KAFKA_DETECTOR_GROUPS": "0"}
    return workdir, path, env


def test_every_signal_is_stored_once_in_both_runs(runs: dict[str, object]) -> None:
    for run in runs.values():
        assert run.complete and run.stored == SIGNALS  # type: ignore[attr-defined]


def test_windowed_counts_equal_the_store_after_a_failover(runs: dict[str, object]) -> None:
    killed = runs["killed"]
    assert killed.takeover_seconds is not None   # type: ignore[attr-defined]  # the survivor took over
    assert killed.over == {"topic": 0, "channel": 0}    # type: ignore[attr-defined]
    assert killed.under == {"topic": 0, "channel": 0}   # type: ignore[attr-defined]


def test_a_failover_raises_no_alert_a_clean_run_does_not(runs: dict[str, object]) -> None:
    clean, killed = runs["clean"], runs["killed"]
    assert clean.alerts                                  # type: ignore[attr-defined]  # the input does alert
    assert killed.alerts <= clean.alerts                 # type: ignore[attr-defined]


def test_two_workers_share_the_detection_and_raise_what_one_worker_raises(runs: dict[str, object],
                                                                          one_worker: object) -> None:
    clean = runs["clean"]
    assert one_worker.complete and one_worker.stored == SIGNALS   # type: ignore[attr-defined]
    detected = clean.detected                                      # type: ignore[attr-defined]
    assert len(detected) == 2 and all(n > 0 for n in detected), detected
    # every signal reached a detector but the newest few, which wait in the merge for later signals
    assert sum(detected) >= 0.99 * SIGNALS and one_worker.detected[0] >= 0.99 * SIGNALS   # type: ignore[attr-defined]
    assert one_worker.alert_rows                                   # type: ignore[attr-defined]
    assert clean.alert_rows == one_worker.alert_rows               # type: ignore[attr-defined]

"""The labelled real-series harness: conversion of a NAB series to signals, rise windows and event scoring on
small files written here; and, when STADSSIGNAAL_NAB points at a NAB checkout, one real series end to end."""
from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline.alerts.evaluation import nab
from pipeline.bench.alerts import run_nab

T0 = datetime(2015, 9, 1, tzinfo=timezone.utc)


def _write_nab(root: Path, values: list[float], windows: list[tuple[int, int]], step_min: int = 5) -> None:
    """A one-series NAB-shaped folder: realTraffic/x.csv with `values` every `step_min` minutes."""
    for name in nab.SETS:
        (root / "data" / name).mkdir(parents=True)
    lines = ["timestamp,value"] + [f"{(T0 + timedelta(minutes=step_min * i)):%Y-%m-%d %H:%M:%S},{v}"
                                   for i, v in enumerate(values)]
    (root / "data" / "realTraffic" / "x.csv").write_text("\n".join(lines) + "\n")
    stamp = lambda i: f"{(T0 + timedelta(minutes=step_min * i)):%Y-%m-%d %H:%M:%S}.000000"  # noqa: E731
    (root / "labels").mkdir()
    (root / "labels" / "combined_windows.json").write_text(
        json.dumps({"realTraffic/x.csv": [[stamp(a), stamp(b)] for a, b in windows]}))


def test_counts_follow_the_value_and_the_time_each_sample_covers() -> None:
    spans = nab.sample_spans([T0, T0 + timedelta(minutes=5), T0 + timedelta(minutes=10),
                              T0 + timedelta(hours=5)])
    assert spans == [300.0, 300.0, 900.0, 300.0]            # a gap covers at most three median intervals
    counts = nab.to_counts([10.0, 10.0, 10.0, 25.0], [300.0, 300.0, 900.0, 300.0], rate=1.5)
    assert counts == [1, 2, 4, 4]                           # 1.5, 1.5, 4.5, 3.75 per sample, fractions carried
    assert sum(counts) <= 1.5 + 1.5 + 4.5 + 3.75


def test_rise_windows_and_event_scores(tmp_path: Path) -> None:
    day = 288
    values = [10.0] * (3 * day)
    values[2 * day + 10: 2 * day + 30] = [40.0] * 20        # a rise inside the first window
    values[2 * day + 100: 2 * day + 120] = [2.0] * 20       # a drop inside the second: not a target
    _write_nab(tmp_path, values, [(2 * day, 2 * day + 50), (2 * day + 90, 2 * day + 130)])
    assert nab.available(tmp_path)
    (series,) = nab.load_set(tmp_path, "realTraffic", rate=2.0)
    assert series.rises == [True, False]
    raised = [T0 + timedelta(minutes=5 * (2 * day + 12)), T0 + timedelta(minutes=5 * (2 * day + 105)),
              T0 + timedelta(minutes=5 * (day + 40)), T0 + timedelta(hours=2)]   # the last is in warm-up
    score = nab.score_series("x", series, raised)
    assert (score.windows, score.found, score.false_alarms) == (1, 1, 1)
    assert score.median_delay == 60.0


def test_realtweets_is_never_read(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        nab.load_set(tmp_path, "realTweets")


def test_the_detector_finds_a_rise_in_a_replayed_series(tmp_path: Path) -> None:
    day = 288
    values = [10.0 + (i % day) / day * 4 for i in range(10 * day)]   # a slow daily ramp
    values[8 * day + 100: 8 * day + 136] = [45.0] * 36              # three hours at four times the level
    _write_nab(tmp_path, values, [(8 * day + 60, 8 * day + 200)])
    result = run_nab(tmp_path, sets=("realTraffic",))
    ours = result.scores["realTraffic"][0]
    assert (ours.windows, ours.found) == (1, 1)
    assert ours.false_alarms == 0


NAB_DIR = os.environ.get("STADSSIGNAAL_NAB")


@pytest.mark.skipif(not NAB_DIR or not nab.available(Path(NAB_DIR)), reason="set STADSSIGNAAL_NAB to a NAB checkout")
def test_real_occupancy_series_is_scored() -> None:
    series = [s for s in nab.load_set(Path(NAB_DIR or "."), "realTraffic") if s.name.endswith("occupancy_t4013.csv")]
    assert series and len(series[0].windows) == 2
    assert sum(series[0].counts) > 1000


def test_alerts_within_an_hour_are_one_event(tmp_path: Path) -> None:
    day = 288
    _write_nab(tmp_path, [10.0] * (3 * day), [(2 * day, 2 * day + 50)])
    (series,) = nab.load_set(tmp_path, "realTraffic", rate=2.0)
    outside = T0 + timedelta(minutes=5 * (day + 100))
    raised = [outside, outside + timedelta(minutes=40), outside + timedelta(minutes=90),   # a chain: one event
              outside + timedelta(hours=4)]                                               # a second event
    assert nab.merge_events(raised) == [outside, outside + timedelta(hours=4)]
    assert nab.score_series("x", series, raised).false_alarms == 2

"""The alert benchmark: baselines, scoring, and a short end-to-end run of `bench alerts`."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
from click.testing import CliRunner

from pipeline.alerts.evaluation.baselines import episodes_from_flags, rolling_zscore_flags, static_threshold_flags
from pipeline.alerts.evaluation.scoring import Opening, score
from pipeline.alerts.evaluation.synthetic import Spike, StreamSpec
from pipeline.bench.alerts import SHAPES, SIZES, plan_spikes, report, run_bench
from pipeline.cli.alerts import bench_alerts_command

T0 = datetime(2025, 4, 7, 8, 0, tzinfo=timezone.utc)


def test_static_threshold_fires_only_above_the_calibration_maximum() -> None:
    counts = np.array([3, 5, 4, 5, 6, 2, 9, 5])
    assert static_threshold_flags(counts, 4).tolist() == [False] * 4 + [True, False, True, False]


def test_rolling_zscore_needs_history_and_a_minimum() -> None:
    counts = np.array([4, 6, 5, 5, 4, 6, 30, 5, 7])
    flags = rolling_zscore_flags(counts, history=6, z=3.0, min_count=8)
    assert flags.tolist() == [False] * 6 + [True, False, False]
    assert not rolling_zscore_flags(counts, history=6, z=3.0, min_count=31).any()


def test_episodes_from_flags_merge_and_cool_down() -> None:
    flags = np.array([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1], dtype=bool)
    openings = episodes_from_flags("afval", flags, first_window=0, window_seconds=900, lateness_seconds=120,
                                   quiet_to_close=2, cooldown_windows=4)
    assert [o.raised_at for o in openings] == [datetime.fromtimestamp(2 * 900 + 120, timezone.utc),
                                               datetime.fromtimestamp(12 * 900 + 120, timezone.utc)]


def test_score_matches_openings_to_spikes() -> None:
    spikes = [Spike("verkeer", T0, "step", 3.0, 60), Spike("afval", T0 + timedelta(hours=5), "burst", 5.0, 20)]
    openings = [Opening("verkeer", T0 + timedelta(minutes=20)), Opening("verkeer", T0 + timedelta(minutes=50)),
                Opening("afval", T0 + timedelta(hours=2)), Opening("zorg", T0 + timedelta(days=1))]
    result = score("x", spikes, openings, T0 - timedelta(days=1), T0 + timedelta(days=6))
    assert result.by_size[3.0].detected == 1 and result.by_size[3.0].median_delay == 20
    assert result.by_size[5.0].detected == 0 and result.by_size[5.0].rate == 0
    assert result.false_alarms == 2 and result.false_per_week == 2.0


def test_spike_plan_covers_every_size_and_shape() -> None:
    spec = StreamSpec(days=21)
    spikes = plan_spikes(spec, per_cell=2, seed=3)
    assert len(spikes) == len(SIZES) * len(SHAPES) * 2
    assert {(s.size, s.shape) for s in spikes} == {(z, h) for z in SIZES for h in SHAPES}
    assert all(s.start >= spec.start + timedelta(days=7) for s in spikes)
    for a in spikes:
        assert all(b is a or b.topic != a.topic or abs((b.start - a.start).total_seconds()) > 8 * 3600 for b in spikes)


def test_short_benchmark_run_prints_all_methods() -> None:
    result = run_bench(weeks=2, per_cell=1, seed=2, daily_total=3000)
    lines: list[str] = []
    report(result, lines.append)
    text = "\n".join(lines)
    for method in ("seasonal detector", "static threshold", "rolling z-score (24 h)"):
        assert sum(line.startswith(method) for line in lines) >= 4
        assert f"{method:26} false alarms:" in text
    assert all(f"{size:>4.0f}x" in text for size in SIZES)
    assert "targets (3x for 1 h" in text
    ours = result.scores[0]
    assert sum(cell.spikes for cell in ours.by_size.values()) == len(result.stream.spikes) == 9
    assert ours.by_size[5.0].detected >= 1


def test_bench_command_runs() -> None:
    out = CliRunner().invoke(bench_alerts_command, ["--weeks", "2", "--per-cell", "1", "--daily", "2000"])
    assert out.exit_code == 0, out.output
    assert "false alarms" in out.output and "median delay" in out.output

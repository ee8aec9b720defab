"""The core benchmark behind `stadssignaal bench` runs end to end through the local runner and its sink."""
from __future__ import annotations

from pathlib import Path

from pipeline.bench.core import bench_latency, bench_runner
from pipeline.core.settings import Settings
from pipeline.sources.demo.generator import generate


def test_runner_and_latency_benchmarks_store_every_signal(tmp_path: Path) -> None:
    settings = Settings(store=tmp_path / "store.db")
    signals = list(generate(n=300, seed=5))
    assert bench_runner(settings, signals, tmp_path) > 0   # raises unless all 300 were stored
    p50, p99 = bench_latency(settings, signals[:100], tmp_path, rate=2_000)
    assert 0 < p50 <= p99

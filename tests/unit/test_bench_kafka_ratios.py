"""The Kafka bench's ratios per round and how they are printed."""
from __future__ import annotations

from pipeline.bench.kafka import KafkaRun, _echo_ratios, _round_ratios


def _run(workers: int, seconds: float) -> KafkaRun:
    return KafkaRun(workers=workers, signals=20_000, seconds=seconds, complete=True, per_worker=[], cpu_seconds=1.0)


def test_round_ratios_compare_each_worker_count_with_local_and_two_workers_with_one() -> None:
    ratios = _round_ratios([_run(1, 10.0), _run(2, 6.25)], local_rate=2_500.0)
    assert ratios["1w/local"] == 0.8
    assert ratios["2w/local"] == 3_200 / 2_500
    assert ratios["2w/1w"] == 1.6


def test_round_ratios_without_a_local_rate_or_one_worker() -> None:
    assert _round_ratios([_run(2, 5.0)], local_rate=0.0) == {"2w/local": 0.0}


def test_printed_ratios_name_targets_and_the_spread_of_rounds() -> None:
    lines: list[str] = []
    _echo_ratios(lines.append, {"1w/local": 0.81, "2w/1w": 1.42}, "each round's own local runs",
                 {"1w/local": (0.76, 0.85), "2w/1w": (1.31, 1.55)})
    assert lines == [
        "  ratio Kafka/local with 1 worker: 0.81 [0.76-0.85] (against each round's own local runs; target >= 0.8)",
        "  ratio 2 workers / 1 worker: 1.42 [1.31-1.55] (target >= 1.4)",
    ]

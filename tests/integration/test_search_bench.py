"""The search benchmark command: pairs score, real queries (when ../shared/data is present), speed figures."""
from __future__ import annotations

import random
import re
from pathlib import Path

from click.testing import CliRunner

from pipeline.bench.search import bench_search, group_queries, perturb, read_real_queries, synthetic_queries
from pipeline.enrich.query.grouping import QueryGrouper
from pipeline.enrich.query.vocabulary import load_vocabulary


def test_bench_command_prints_the_figures(tmp_path: Path) -> None:
    result = CliRunner().invoke(bench_search, ["--count", "2000", "--data-dir", str(tmp_path / "absent")])
    assert result.exit_code == 0, result.output
    precision, recall = re.search(r"precision ([\d.]+) .* recall ([\d.]+)", result.output).groups()
    assert float(precision) >= 0.90 and float(recall) >= 0.90  # spelling variants still fall together
    assert "real queries: skipped" in result.output
    assert re.search(r"speed: 2000 queries \(\d+ distinct\) -> \d+ groups in [\d.]+ s", result.output)


def test_real_queries_are_grouped(shared_data: Path) -> None:
    queries = read_real_queries(shared_data / "search")
    assert len(queries) > 500
    groups = group_queries(queries, QueryGrouper(load_vocabulary()))
    distinct = {q.strip() for q in queries}
    assert 0 < len(groups) < len(distinct)
    biggest = max(groups.values(), key=lambda members: sum(members.values()))
    assert len(biggest) >= 3  # spelling/spacing variants of one query fell together


def test_synthetic_stream_is_reproducible_and_perturbed() -> None:
    first, second = synthetic_queries(500, seed=3), synthetic_queries(500, seed=3)
    assert first == second
    assert len(set(first)) > 100
    rng = random.Random(1)
    assert any(perturb("parkeervergunning", rng) != "parkeervergunning" for _ in range(20))


def test_bench_prints_subject_figures(tmp_path: Path) -> None:
    result = CliRunner().invoke(bench_search, ["--count", "500", "--data-dir", str(tmp_path / "absent")])
    assert result.exit_code == 0, result.output
    found = re.search(r"subject pairs: \d+ \(tp \d+, fp \d+, fn \d+, tn \d+\)  precision ([\d.]+)  recall ([\d.]+)",
                      result.output)
    assert found and float(found.group(1)) >= 0.9 and float(found.group(2)) >= 0.9
    assert "UPL municipal names" not in result.output   # reference lists absent


def test_reference_lists_measure_the_roll_up(shared_data: Path) -> None:
    from pipeline.bench.search_subjects import reference_figures

    figures = reference_figures(shared_data / "search", QueryGrouper(load_vocabulary()))
    before, after = figures["group"]["upl"], figures["subject"]["upl"]
    assert after["pairs"] == before["pairs"] > 20
    assert after["rolled_up"] > before["rolled_up"]       # subjects roll qualified names up, group keys cannot
    assert figures["subject"]["keywords"]["shared_pairs"] > 0

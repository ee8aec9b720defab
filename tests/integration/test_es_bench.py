"""Throughput of the Elasticsearch sink against the fake server (printed; the target is >= 5,000 docs/s).

The fake server runs in its own process, as it does for `stadssignaal bench --sink es --es-url URL`,
so the figure measures the sink rather than the fake sharing its interpreter.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Iterator
from urllib.request import Request, urlopen

import pytest
from click.testing import CliRunner

from fakes.es_server import FakeElasticsearch
from pipeline.cli.elasticsearch import bench_es, run_es_bench

FAKE = Path(__file__).resolve().parents[1] / "fakes" / "es_server.py"


@pytest.fixture
def fake_process() -> Iterator[str]:
    """The fake server in a subprocess on a free port; yields its URL."""
    process = subprocess.Popen([sys.executable, str(FAKE), "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert " on http://" in line, line
        yield line.split(" on ", 1)[1].split()[0]
    finally:
        process.terminate()
        process.wait(10)


def count(url: str, pattern: str) -> int:
    """Documents over indices matching `pattern`, asked over HTTP."""
    request = Request(f"{url}/{pattern}/_count", headers={"Accept": "application/json"})
    with urlopen(request, timeout=10) as response:
        return json.load(response)["count"]


def test_run_es_bench_through_the_sink(fake_process: str) -> None:
    result = run_es_bench(fake_process, 20_000)
    print(f"\nES sink benchmark (fake server in its own process): {result['docs_per_s']:,.0f} docs/s "
          f"({result['docs']} docs, {result['requests']} bulk requests, {result['seconds']} s; target >= 5,000)")
    assert result["dead_letters"] == 0
    assert result["indexed"] == 20_000 and result["requests"] == 40
    assert count(fake_process, "stadssignaal-bench-signals-*") == 20_000


def test_bench_command_prints_the_figure() -> None:
    with FakeElasticsearch() as fake:
        outcome = CliRunner().invoke(bench_es, ["--es-url", fake.url, "-n", "2000"])
        assert "stadssignaal-bench-signals" in fake.templates
        assert all(i.aliases == {"stadssignaal-bench-signals"} for i in fake.indices.values())
        assert len(fake.documents("stadssignaal-bench-signals-*")) == 2000
    assert outcome.exit_code == 0, outcome.output
    first, second = outcome.output.strip().splitlines()
    assert first.startswith("elasticsearch sink: ") and "docs/s" in first
    assert json.loads(second)["indexed"] == 2000

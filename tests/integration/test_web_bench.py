"""The dashboard CLI commands: the query benchmark prints every timing; a taken port is a clean error."""
from __future__ import annotations

import socket
from pathlib import Path

from click.testing import CliRunner

from pipeline.apps.dashboard.queries import WINDOWS
from pipeline.cli.dashboard import dashboard, dashboard_bench


def test_dashboard_bench_prints_a_timing_per_query_and_window(tmp_path: Path) -> None:
    """On a small synthetic store every window gets summary, volume, sentiment, zero-result and list timings."""
    store = tmp_path / "bench.db"
    result = CliRunner().invoke(dashboard_bench, ["--rows", "2000", "--repeats", "1", "--store", str(store),
                                                  "--writes", "300"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for window in WINDOWS:
        for query in ("summary", "volume/channel", "volume/topic", "sentiment", "zero-results", "latest"):
            assert any(line.startswith(f"{window} {query} ") and line.endswith(" ms") for line in lines), (window, query)
    for endpoint in ("/api/dossiers/1", "/api/signals?dossier=1", "/api/whats-new?hours=24", "/api/attention",
                     "/api/digest", "/api/summary?period=24h", "/api/summary?period=24h&topic=afval"):
        assert any(line.startswith(f"GET {endpoint}") and " p50 " in line and line.endswith(" ms") for line in lines), endpoint
    assert any(line.startswith("writes into an empty store: ") and line.endswith("(300 docs)") for line in lines)
    assert any(line.startswith("writes into the 2,000-signal store: ") for line in lines)
    assert "slowest:" in lines[-1]
    assert store.exists()  # kept for the next run when --store is given


def test_dashboard_command_reports_a_taken_port(tmp_path: Path) -> None:
    """`dashboard` on a port in use exits with a message instead of a traceback."""
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    try:
        port = blocker.getsockname()[1]
        result = CliRunner().invoke(dashboard, ["--store", str(tmp_path / "s.db"), "--port", str(port)])
        assert result.exit_code == 1
        assert f"port {port} on 127.0.0.1 is already in use" in result.output
    finally:
        blocker.close()

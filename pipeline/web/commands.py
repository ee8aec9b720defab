"""Click commands of the dashboard: serve it on a store, and measure its queries on a large synthetic store."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import click

from pipeline.settings import Settings, load_settings


def _settings(ctx: click.Context) -> Settings:
    """The settings loaded by the `stadssignaal` group, or fresh ones when run on its own."""
    root = ctx.find_root().obj
    if isinstance(root, dict) and isinstance(root.get("settings"), Settings):
        return root["settings"]
    return load_settings()


@click.command("dashboard")
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite store to show (default: the `store` setting). It may not exist yet.")
@click.option("--host", default=None, help="Address to listen on (default: the `host` setting, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: the `port` setting, 8000).")
@click.pass_context
def dashboard(ctx: click.Context, store_path: Path | None, host: str | None, port: int | None) -> None:
    """Serve the live dashboard on a store that another process (the runner) fills; Ctrl-C stops."""
    from pipeline.web.app import create_app
    from pipeline.web.features import feature_routes
    from pipeline.web.server import DashboardServer

    settings = _settings(ctx)
    store = store_path or settings.store
    server = DashboardServer(create_app(store, settings, feature_routes(store)), host or settings.host, settings.port if port is None else port)
    try:
        server.start()
    except OSError as err:
        raise click.ClickException(f"cannot start the dashboard: {err}; try another --port") from err
    click.echo(f"Dashboard: {server.url} (store: {store}). Press Ctrl-C to stop.", err=True)
    try:
        while server.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@click.command("dashboard-bench")
@click.option("--rows", type=click.IntRange(1_000, 10_000_000), default=1_000_000, show_default=True,
              help="How many synthetic signals the store holds.")
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Keep the synthetic store here and reuse it on the next run (default: a temporary file).")
@click.option("--repeats", type=click.IntRange(1, 20), default=3, show_default=True,
              help="Runs per query; the median is printed.")
def dashboard_bench(rows: int, store_path: Path | None, repeats: int) -> None:
    """Time every dashboard query for every period on a store of synthetic signals (target: 300 ms each)."""
    from pipeline.web.benchmark import run_benchmark

    if store_path is not None:
        run_benchmark(store_path, rows, click.echo, repeats)
        return
    with tempfile.TemporaryDirectory(prefix="stadssignaal-bench-") as folder:
        run_benchmark(Path(folder) / "bench.db", rows, click.echo, repeats)

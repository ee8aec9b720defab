"""Click commands of the dashboard: serve it on a store, and measure its queries on a large synthetic store."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import click

from pipeline.cli.listing import existing_store
from pipeline.core.settings import Settings, load_settings


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
    from pipeline.apps.dashboard.app import dashboard_app
    from pipeline.apps.dashboard.features import feature_routes
    from pipeline.apps.dashboard.server import DashboardServer

    settings = _settings(ctx)
    store = store_path or settings.store
    bind = host or settings.host
    try:
        app = dashboard_app(store, settings, bind, feature_routes(store, settings.municipality))
    except ValueError as err:
        raise click.ClickException(str(err)) from err
    server = DashboardServer(app, bind, settings.port if port is None else port)
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
@click.option("--writes", type=click.IntRange(0, 1_000_000), default=0, show_default=True,
              help="Also time writing this many new docs (with the advisers' side tables) into an empty store "
                   "and into the large one, which keeps them.")
def dashboard_bench(rows: int, store_path: Path | None, repeats: int, writes: int) -> None:
    """Time every dashboard query for every period on a store of synthetic signals (target: 300 ms each)."""
    from pipeline.bench.dashboard import run_benchmark

    if store_path is not None:
        run_benchmark(store_path, rows, click.echo, repeats, writes)
        return
    with tempfile.TemporaryDirectory(prefix="stadssignaal-bench-") as folder:
        run_benchmark(Path(folder) / "bench.db", rows, click.echo, repeats, writes)


@click.command("hash-password")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The password to hash (asked for when not given; avoid putting it on the command line).")
def hash_password_command(password: str) -> None:
    """Print a scrypt hash of a password for the dashboard_accounts setting (login name = the hash)."""
    from pipeline.apps.dashboard.access import hash_password

    try:
        click.echo(hash_password(password))
    except ValueError as err:
        raise click.ClickException(str(err)) from err


@click.command("digest")
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite store to summarise (default: the `store` setting).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("var/digest.html"),
              show_default=True, help="Where to write the HTML digest.")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write a one-page PDF here (needs the fpdf2 package).")
@click.option("--mail", is_flag=True, help="E-mail the digest (settings digest_smtp_host/port, digest_mail_from/to).")
@click.option("--at", "at_time", default=None, metavar="HH:MM",
              help="Wait until this Dutch time and repeat every day (Ctrl-C stops); without it, run once now.")
@click.option("--until", "until", default="now", show_default=True,
              help="End of the 24 hours: 'now', 'newest' (the newest stored signal) or an ISO 8601 time.")
@click.option("--hours", type=click.IntRange(1, 168), default=24, show_default=True, help="Length of the period.")
@click.pass_context
def digest(ctx: click.Context, store_path: Path | None, output: Path, pdf_path: Path | None, mail: bool,
           at_time: str | None, until: str, hours: int) -> None:
    """Write the daily digest (per topic and per dossier) as HTML, optionally PDF and e-mail, once or daily."""
    from pipeline.apps.advisers.digest_run import DigestJob

    settings = _settings(ctx)
    job = DigestJob(existing_store(Path(store_path or settings.store)), settings, output, pdf_path, mail, until, hours)
    try:
        if at_time is None:
            for line in job.run_once():
                click.echo(line)
        else:
            job.run_daily(at_time, click.echo)
    except KeyboardInterrupt:
        pass
    except ValueError as err:
        raise click.ClickException(str(err)) from err

"""`stadssignaal purge`: apply the retention period to the local store by hand (the runner does it hourly)."""
from __future__ import annotations

from pathlib import Path

import click

from pipeline.core.settings import load_settings
from pipeline.sinks.sqlite.retention import cutoff_for
from pipeline.sinks.sqlite.store import SqliteStore


@click.command("purge")
@click.option("--store", "store_path", type=click.Path(path_type=Path), default=None,
              help="SQLite store (default: the `store` setting).")
@click.option("--older-than-days", type=float, default=None,
              help="Delete what was stored longer ago than this (default: the `retention_days` setting).")
@click.option("--config", type=click.Path(path_type=Path), default=None, help="Settings file (TOML).")
def purge(store_path: Path | None, older_than_days: float | None, config: Path | None) -> None:
    """Delete signals and dead letters older than the retention period, with their dashboard side rows."""
    settings = load_settings(config)
    path = store_path or settings.store
    days = settings.retention_days if older_than_days is None else older_than_days
    if not path.is_file():
        raise click.ClickException(f"no store at {path}")
    try:
        before = cutoff_for(days)
    except ValueError as err:
        raise click.ClickException(str(err)) from err
    store = SqliteStore(path)
    try:
        result = store.purge(before)
    finally:
        store.close()
    click.echo(f"Removed {result.signals} signals and {result.dead_letters} dead letters stored before "
               f"{result.cutoff.isoformat(timespec='seconds')} ({path}).")

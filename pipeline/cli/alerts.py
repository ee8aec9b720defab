"""Click commands: `alerts` lists stored alerts; `bench_alerts` runs the alert benchmark (`stadssignaal bench alerts`)."""
from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import click

from pipeline.alerts.config import MODELS, DetectorConfig
from pipeline.cli.listing import FORMAT_OPTION, existing_store, render
from pipeline.sinks.sqlite.alerts import AlertStore


def _default_store() -> Path:
    """The store path from the settings, or the default when they cannot be read."""
    try:
        from pipeline.core.settings import load_settings
        return Path(load_settings().store)
    except Exception:  # settings problems must not break listing an explicit store
        return Path("var/stadssignaal.db")


ALERT_COLUMNS = (("start", "START (UTC)"), ("end", "END (UTC)"), ("topic", "TOPIC"), ("scope", "SCOPE"),
                 ("observed", "OBSERVED"), ("expected", "EXPECTED"), ("ratio", "RATIO"), ("trigger", "TRIGGER"),
                 ("id", "ID"))


def _flat(alert: dict) -> dict:
    """An alert with its scope as one text and open episodes marked (for table and CSV)."""
    scope = alert["scope"]
    return {**alert, "end": alert["end"] or "open",
            "scope": scope["value"] if scope["type"] == "topic" else f"{scope['type']}={scope['value']}",
            "ratio": None if alert.get("ratio") is None else f"{alert['ratio']:.1f}x"}


@click.command("alerts")
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite store file (default: the `store` setting, var/stadssignaal.db).")
@FORMAT_OPTION
@click.option("--topic", default=None, help="Only alerts of this topic code, e.g. verkeer.")
@click.option("--status", type=click.Choice(["open", "closed"]), default=None, help="Only open or closed alerts.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True,
              help="At most this many alerts, newest first.")
@click.option("--es-url", default=None,
              help="Read the alerts from Elasticsearch at this URL instead of the SQLite store (auth and index "
                   "prefix from the STADSSIGNAAL_ES_* settings).")
def alerts_command(store_path: Path | None, fmt: str, topic: str | None, status: str | None, limit: int,
                   es_url: str | None) -> None:
    """List spike alerts from the store, newest first.

    In JSON each alert has topic (code), scope {type, value}, start and end (ISO 8601 event times; end is
    null while the episode is open), observed, expected, ratio, p_value, trigger, new_terms, examples
    (redacted) and link (the dashboard filtered on the alert).
    """
    if es_url:
        found = _es_alerts(es_url, limit, topic, status)
        _echo_alerts(found, fmt)
        return
    path = existing_store(store_path or _default_store())
    try:
        store = AlertStore(path, readonly=True)
        found = store.list(limit=limit, topic=topic, status=status)
        store.close()
    except sqlite3.Error as err:
        raise click.ClickException(f"cannot read alerts from {path}: {err}") from None
    _echo_alerts(found, fmt)


def _es_alerts(url: str, limit: int, topic: str | None, status: str | None) -> list[dict]:
    """Alerts from the Elasticsearch alerts alias; configuration and connection problems as click errors."""
    from pipeline.sinks.elasticsearch.alert_store import AlertStoreError, EsAlertStore
    from pipeline.sinks.elasticsearch.config import EsConfig, EsConfigError

    try:
        store = EsAlertStore(EsConfig.from_env(urls=url), readonly=True)
    except EsConfigError as err:
        raise click.UsageError(str(err)) from None
    try:
        return store.list(limit=limit, topic=topic, status=status)
    except AlertStoreError as err:
        raise click.ClickException(f"cannot read alerts from {url}: {err}") from None
    finally:
        store.close()


def _echo_alerts(found: list[dict], fmt: str) -> None:
    """Print alerts as a table with headers, JSON or CSV (a table without alerts says so on stderr)."""
    if fmt == "json":
        click.echo(render(found, ALERT_COLUMNS, fmt))
        return
    click.echo(render([_flat(a) for a in found], ALERT_COLUMNS, fmt))
    if not found and fmt == "table":
        click.echo("no alerts yet", err=True)


@click.command("bench_alerts")
@click.option("--weeks", type=click.IntRange(2, 52), default=8, show_default=True, help="Length of the stream.")
@click.option("--daily", "dailies", type=click.FloatRange(100, 1_000_000), multiple=True,
              help="Signals per working day (repeat for several stream sizes; default 10000).")
@click.option("--per-cell", type=click.IntRange(1, 100), default=20, show_default=True,
              help="Spikes per size and shape (3 sizes x 3 shapes).")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed of stream and spikes.")
@click.option("--model", type=click.Choice(MODELS), default="negbin", show_default=True,
              help="Count model of the detector.")
@click.option("--p-threshold", type=click.FloatRange(1e-12, 0.5), default=None,
              help="Override the detector's p-value threshold.")
@click.option("--bursty/--no-bursty", default=True, show_default=True,
              help="Also run the stream with a self-exciting (Hawkes-like) social background.")
@click.option("--nab", "nab_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of a Numenta Anomaly Benchmark checkout: also score the labelled real series "
                   "(realTraffic, realKnownCause, realAdExchange). Skipped when absent.")
@click.option("--nab-rate", "nab_rates", type=click.FloatRange(0.1, 100), multiple=True,
              help="Signals per 5 minutes at a NAB series' median value (repeat for several volumes; default 2).")
@click.option("--synthetic/--no-synthetic", default=True, show_default=True, help="Run the synthetic streams.")
def bench_alerts_command(weeks: int, dailies: tuple[float, ...], per_cell: int, seed: int, model: str,
                         p_threshold: float | None, bursty: bool, nab_dir: Path | None, nab_rates: tuple[float, ...],
                         synthetic: bool) -> None:
    """Benchmark spike alerts on a synthetic stream with injected spikes.

    Generates WEEKS of signals with daily and weekly rhythm, public holidays and bursty noise, injects
    2x, 3x and 5x spikes shaped as a 1-hour step, a 90-minute ramp and a 20-minute burst, and prints per
    spike size the detection rate, median detection delay and false alarms per week, for the seasonal
    detector and, in the same run, for a static threshold and a rolling 24-hour z-score.
    """
    from pipeline.alerts.evaluation import nab
    from pipeline.bench.alerts import BURSTY_BRANCHING, DEFAULT_DAILY, NAB_RATE, report, report_nab, run_bench, run_nab

    config = DetectorConfig(model=model)
    if p_threshold is not None:
        config.p_threshold = p_threshold
    quiet = logging.getLogger("pipeline.alerts")
    level = quiet.level
    quiet.setLevel(logging.ERROR)   # synthetic streams: no per-signal warnings during the run
    try:
        for daily in (dailies or (DEFAULT_DAILY,)) if synthetic else ():
            for branching in (0.0, BURSTY_BRANCHING) if bursty else (0.0,):
                began = time.perf_counter()
                result = run_bench(weeks=weeks, per_cell=per_cell, seed=seed, config=config, daily_total=daily,
                                   branching=branching)
                report(result, click.echo)
                click.echo(f"(run took {time.perf_counter() - began:.0f} s)")
                click.echo("")
        if nab_dir is not None:
            if not nab.available(nab_dir):
                click.echo(f"NAB skipped: {nab_dir} holds no data/ and labels/ of a NAB checkout")
            else:
                for rate in nab_rates or (NAB_RATE,):
                    report_nab(run_nab(nab_dir, config, rate=rate), click.echo)
                    click.echo("")
    finally:
        quiet.setLevel(level)

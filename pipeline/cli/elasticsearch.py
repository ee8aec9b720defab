"""Click commands for Elasticsearch and Kibana: `es setup`, `dashboards install` and `bench-es`.

Credentials can come from options or, better (they then stay out of the process list), from
STADSSIGNAAL_ES_API_KEY / STADSSIGNAAL_ES_USER / STADSSIGNAAL_ES_PASSWORD and the
STADSSIGNAAL_KIBANA_* equivalents.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

import click

from pipeline.bench.elasticsearch import run_es_bench
from pipeline.sinks.elasticsearch.config import EsConfig, EsConfigError

__all__ = ["es", "dashboards", "bench_es", "run_es_bench"]


def _es_connection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--es-url, --api-key, --user, --password, --ca-file (all with STADSSIGNAAL_ES_* env vars)."""
    options = [
        click.option("--es-url", envvar="STADSSIGNAAL_ES_URL", default="http://localhost:9200", show_default=True,
                     help="Elasticsearch URL(s), comma-separated [env STADSSIGNAAL_ES_URL]."),
        click.option("--api-key", envvar="STADSSIGNAAL_ES_API_KEY", default=None,
                     help="API key (encoded, or id:key) [env STADSSIGNAAL_ES_API_KEY]."),
        click.option("--user", envvar="STADSSIGNAAL_ES_USER", default=None,
                     help="User for basic auth [env STADSSIGNAAL_ES_USER]."),
        click.option("--password", envvar="STADSSIGNAAL_ES_PASSWORD", default=None,
                     help="Password for basic auth [env STADSSIGNAAL_ES_PASSWORD]."),
        click.option("--ca-file", envvar="STADSSIGNAAL_ES_CA_FILE", default=None,
                     type=click.Path(exists=True, dir_okay=False),
                     help="CA certificate (PEM) to verify Elasticsearch's TLS certificate."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _config(es_url: str, api_key: str | None, user: str | None, password: str | None, ca_file: str | None,
            **extra: Any) -> EsConfig:
    """EsConfig from the options and environment; bad settings become usage errors."""
    try:
        return EsConfig.from_env(urls=(es_url,), api_key=api_key, username=user, password=password,
                                 ca_file=ca_file, **extra)
    except EsConfigError as err:
        raise click.UsageError(str(err)) from None


@click.group("es")
def es() -> None:
    """Elasticsearch: index templates, retention policy and aliases."""


@es.command("setup")
@_es_connection_options
@click.option("--retention-days", type=int, envvar="STADSSIGNAAL_ES_RETENTION_DAYS", default=None,
              help="Delete indices this many days after their day (default 90).")
@click.option("--dry-run", is_flag=True, help="Print every request instead of sending it.")
def setup_command(es_url: str, api_key: str | None, user: str | None, password: str | None,
                  ca_file: str | None, retention_days: int | None, dry_run: bool) -> None:
    """Create or update the ILM policy, index templates and aliases (safe to run again)."""
    from pipeline.sinks.elasticsearch.setup import SetupError, run_setup

    config = _config(es_url, api_key, user, password, ca_file, retention_days=retention_days)
    try:
        run_setup(config, dry_run=dry_run, echo=click.echo)
    except SetupError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)


@click.group("dashboards")
def dashboards() -> None:
    """Kibana: install the Stadssignaal dashboards."""


@dashboards.command("install")
@click.option("--kibana", "kibana_url", envvar="STADSSIGNAAL_KIBANA_URL", required=True,
              help="Kibana base URL, e.g. https://kibana.example.nl:5601 [env STADSSIGNAAL_KIBANA_URL].")
@click.option("--space", default=None, help="Kibana space to install into (created when missing).")
@click.option("--api-key", envvar="STADSSIGNAAL_KIBANA_API_KEY", default=None,
              help="API key [env STADSSIGNAAL_KIBANA_API_KEY].")
@click.option("--user", envvar="STADSSIGNAAL_KIBANA_USER", default=None,
              help="User for basic auth [env STADSSIGNAAL_KIBANA_USER].")
@click.option("--password", envvar="STADSSIGNAAL_KIBANA_PASSWORD", default=None,
              help="Password [env STADSSIGNAAL_KIBANA_PASSWORD].")
@click.option("--ca-file", envvar="STADSSIGNAAL_KIBANA_CA_FILE", default=None,
              type=click.Path(exists=True, dir_okay=False), help="CA certificate (PEM) for Kibana's TLS.")
@click.option("--dir", "directory", default=None, type=click.Path(exists=True, file_okay=False),
              help="Folder with the .ndjson files (default: the project's dashboards/).")
def install_command(kibana_url: str, space: str | None, api_key: str | None, user: str | None,
                    password: str | None, ca_file: str | None, directory: str | None) -> None:
    """Import the data views, visualisations and dashboards (overwrites earlier versions)."""
    from pipeline.sinks.elasticsearch.kibana import DEFAULT_DASHBOARD_DIR, KibanaConfig, KibanaError, install_dashboards

    try:
        config = KibanaConfig(kibana_url, space=space, api_key=api_key, username=user, password=password,
                              ca_file=ca_file)
        report = install_dashboards(config, Path(directory) if directory else DEFAULT_DASHBOARD_DIR, click.echo)
    except KibanaError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    if not report.ok:
        sys.exit(1)
    click.echo(f"dashboards installed in space {report.space!r}")


@click.command("bench-es")
@_es_connection_options
@click.option("-n", "--docs", "n", type=int, default=20_000, show_default=True, help="Documents to write.")
@click.option("--batch-size", type=int, default=500, show_default=True, help="Documents per bulk request.")
@click.option("--no-setup", is_flag=True, help="Do not install the benchmark's index template first.")
def bench_es(es_url: str, api_key: str | None, user: str | None, password: str | None, ca_file: str | None,
             n: int, batch_size: int, no_setup: bool) -> None:
    """Print docs/s through the Elasticsearch sink (writes to stadssignaal-bench-* indices)."""
    auth = {k: v for k, v in {"api_key": api_key, "username": user, "password": password,
                              "ca_file": ca_file}.items() if v}
    try:
        result = run_es_bench(es_url, n, batch_size, setup=not no_setup, **auth)
    except EsConfigError as err:
        raise click.UsageError(str(err)) from None
    except Exception as err:  # noqa: BLE001 - report, do not crash with a traceback
        click.echo(f"error: {type(err).__name__}: {err}", err=True)
        sys.exit(1)
    click.echo(f"elasticsearch sink: {result['docs_per_s']:,.0f} docs/s "
               f"({result['docs']} docs in {result['seconds']} s, {result['requests']} bulk requests, "
               f"{result['dead_letters']} dead letters)")
    click.echo(json.dumps(result))

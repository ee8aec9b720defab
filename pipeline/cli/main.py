"""The `stadssignaal` command line: enrich, run, demo, bench and the feature commands."""
from __future__ import annotations

import json
import logging
import shlex
import signal as os_signal
import sys
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterator

import click

from pipeline import __version__
from pipeline.cli.lazy_group import LazyGroup
from pipeline.cli.log_setup import configure_logging
from pipeline.cli.model_options import build_enricher, registry_option
from pipeline.cli.model_options import model_options as _model_options
from pipeline.sources.spec import SPEC_HELP, open_source, parse_speed

if TYPE_CHECKING:
    from pipeline.core.settings import Settings

log = logging.getLogger("stadssignaal")


def _settings(ctx: click.Context) -> Settings:
    return ctx.find_root().obj["settings"]


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="TOML settings file (also STADSSIGNAAL_CONFIG); environment variables STADSSIGNAAL_* override it.")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="How much to log on stderr.")
@click.version_option(__version__, prog_name="stadssignaal")
@click.pass_context
def main(ctx: click.Context, config: Path | None, log_level: str) -> None:
    """Stadssignaal: hear what residents say, as it happens.

    Streams posts, call notes and site searches through redaction, topic and sentiment
    classification into a store with live dashboards and spike alerts.
    """
    configure_logging(log_level)
    from pipeline.core.settings import load_settings

    try:
        settings = load_settings(config)
    except (FileNotFoundError, ValueError) as err:
        raise click.UsageError(str(err)) from err
    ctx.obj = {"settings": settings}


def _read_chunks(stream: IO[bytes], size: int) -> Iterator[list[bytes]]:
    """Lines from a binary stream in chunks; a terminal gets one line at a time."""
    interactive = stream.isatty()
    chunk: list[bytes] = []
    for line in stream:
        chunk.append(line)
        if interactive or len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@main.command()
@click.option("--input", "input_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSONL file of raw signals (default: standard input).")
@click.option("--output", "output_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write enriched JSONL (default: standard output).")
@click.option("--dead-letters", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("deadletters.jsonl"), show_default=True,
              help="JSONL file that bad lines are appended to, each with its reason.")
@_model_options
@click.pass_context
def enrich(ctx: click.Context, input_path: Path | None, output_path: Path | None, dead_letters: Path,
           topic_model: Path | None, sentiment_model: Path | None) -> None:
    """Enrich raw signals: JSONL in, enriched JSONL out, one line per good input line.

    A bad line gives a message on stderr and a dead letter; processing continues.
    """
    from pipeline.core.private_files import open_private_append
    from pipeline.core.signal import InvalidSignal, decode_line
    from pipeline.enrich.batch import enrich_batch
    from pipeline.enrich.pii.boundary import dead_letter

    settings = _settings(ctx)
    enricher = build_enricher(settings, topic_model, sentiment_model)
    source_name = f"enrich:{input_path or 'stdin'}"
    stream = input_path.open("rb") if input_path else sys.stdin.buffer
    out = output_path.open("w", encoding="utf-8") if output_path else sys.stdout
    good = bad = 0
    line_no = 0
    try:
        for chunk in _read_chunks(stream, 512):
            raws, dead = [], []
            for line in chunk:
                line_no += 1
                if not line.strip():
                    continue
                try:
                    raws.append(decode_line(line, settings.max_text_chars))
                except InvalidSignal as err:
                    dead.append(dead_letter(source_name, f"line {line_no}", err.reason, line.rstrip(b"\n")))
            docs, failed = enrich_batch(enricher, raws, source_name) if raws else ([], [])
            dead.extend(failed)
            for doc in docs:
                out.write(json.dumps(doc, ensure_ascii=False) + "\n")
            out.flush()
            if dead:
                with open_private_append(dead_letters) as fh:
                    for letter in dead:
                        click.echo(f"{letter.position}: {letter.reason}", err=True)
                        fh.write(json.dumps(letter.to_dict(), ensure_ascii=False) + "\n")
            good += len(docs)
            bad += len(dead)
    finally:
        if output_path:
            out.close()
        if input_path:
            stream.close()
    log.info("enriched %d signals, %d dead letters%s", good, bad, f" (in {dead_letters})" if bad else "")


def _install_stop_handlers(stop: threading.Event) -> None:
    """SIGINT and SIGTERM ask the runner to finish its batch and stop."""
    def handler(signum: int, _frame: Any) -> None:
        log.info("received %s, stopping after the current batch", os_signal.Signals(signum).name)
        stop.set()
    os_signal.signal(os_signal.SIGINT, handler)
    os_signal.signal(os_signal.SIGTERM, handler)


def _ingest_routes(settings: Settings, on_signals: Any) -> list[Any]:
    """The call-note push endpoint, mounted only when ingest tokens are configured."""
    from pipeline.sources.connectors.ingest import ingest_routes
    from pipeline.sources.connectors.settings import load_connector_settings

    try:
        connectors = load_connector_settings(settings.connectors)
    except (OSError, ValueError) as err:
        raise click.UsageError(f"connector settings: {err}") from err
    if not connectors.ingest.tokens:
        return []
    log.info("call-note ingest endpoint enabled at /ingest/call-notes")
    return ingest_routes(on_signals, connectors.ingest.tokens, connectors.ingest.field_mapping or None,
                         connectors.ingest.max_batch)


def _alert_feed(settings: Settings, sink: Any) -> Any:
    """Spike detection on every stored batch: the runner feeds the detector, the sink stores the alerts and the
    detector's snapshot, and the notifier sends them to the configured targets."""
    from pipeline.alerts.config import config_from_settings
    from pipeline.notify import AlertDispatcher
    from pipeline.notify.config import notify_config_from_settings
    from pipeline.runners.local import AlertFeed

    try:
        config = config_from_settings(settings)
        notifier = AlertDispatcher(notify_config_from_settings(settings))
    except ValueError as err:
        raise click.UsageError(f"alert settings: {err}") from err
    return AlertFeed(sink, config, notifier)


def run_local(settings: Settings, source_spec: str, store_path: Path, speed: float | None, dashboard: bool,
              exit_when_done: bool, host: str, port: int, topic_model: Path | None = None,
              banner: str | None = None, sink: str = "sqlite", sentiment_model: Path | None = None,
              model_registry: Path | None = None) -> None:
    """Wire source, enricher, store and dashboard together and run until done or stopped."""
    from pipeline.runners.local import LocalRunner
    from pipeline.sinks.base import SinkBatch
    from pipeline.sinks.opening import open_sink
    from pipeline.sinks.sqlite.retention import RetentionTimer

    try:
        source = open_source(source_spec, settings, speed=speed, once=exit_when_done, store_path=store_path)
    except ValueError as err:
        raise click.UsageError(str(err)) from err
    settings = settings.model_copy(update={"store": store_path})   # the pseudonym key is kept beside this store
    from pipeline.sinks.elasticsearch.config import EsConfigError

    try:
        store = open_sink(sink, store_path)
    except EsConfigError as err:
        raise click.UsageError(str(err)) from err
    enricher = build_enricher(settings, topic_model, sentiment_model, model_registry)
    stop = threading.Event()
    _install_stop_handlers(stop)
    server = None
    if dashboard:
        from pipeline.apps.dashboard.app import dashboard_app
        from pipeline.apps.dashboard.features import feature_routes
        from pipeline.apps.dashboard.server import DashboardServer
        from pipeline.apps.webteam.tracking import tracking_routes

        def ingest_beacon(raw: Any) -> None:
            """A site search from the tracking endpoint: enriched and committed before the answer."""
            store.write(SinkBatch(docs=[enricher.enrich(raw)]))

        def ingest_call_notes(raws: list[Any]) -> None:
            """Call notes pushed by a contact-centre system: enriched and committed before the answer."""
            store.write(SinkBatch(docs=enricher.enrich_many(raws)))

        routes = [*feature_routes(store_path, settings.municipality), *tracking_routes(ingest_beacon),
                  *_ingest_routes(settings, ingest_call_notes)]
        try:
            app = dashboard_app(store_path, settings, host, routes)  # login unless bound to loopback
        except ValueError as err:
            raise click.ClickException(str(err)) from err
        server = DashboardServer(app, host, port)
        try:
            server.start()
        except (OSError, RuntimeError) as err:
            raise click.ClickException(f"cannot start the dashboard on {host}:{port}: {err}; try --port") from err
        click.echo(banner or f"Dashboard: {server.url}", err=True)
    runner = LocalRunner(source, store, enricher, alerts=_alert_feed(settings, store),
                         retention=RetentionTimer(settings.retention_days) if sink == "sqlite" else None)
    try:
        stats = runner.run(stop)
        click.echo(f"Processed {stats.signals} signals, {stats.dead} dead letters in {stats.elapsed:.1f} s "
                   f"(store: {store_path})", err=True)
        if server is not None and not exit_when_done and not stop.is_set():
            click.echo("Source finished; the dashboard stays up. Press Ctrl-C to stop.", err=True)
            stop.wait()
    finally:
        if server is not None:
            server.stop()
        store.close()


@main.command()
@click.option("--source", "source_spec", required=True, help=f"Where signals come from: {SPEC_HELP}.")
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite store file (default: the `store` setting, var/stadssignaal.db).")
@click.option("--speed", default="max", show_default=True,
              help="Replay pace: 'max' or a factor of real time (1 = as it happened, 60 = an hour a minute).")
@click.option("--dashboard/--no-dashboard", default=True, show_default=True, help="Serve the built-in dashboard.")
@click.option("--exit-when-done", is_flag=True, help="Stop when the source is exhausted (a folder is read once).")
@click.option("--host", default=None, help="Dashboard address (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Dashboard port (default 8000).")
@_model_options
@registry_option
@click.option("--sink", type=click.Choice(["sqlite", "es"]), default="sqlite", show_default=True,
              help="Where enriched signals go; with 'es' (STADSSIGNAAL_ES_* settings) the store file keeps "
                   "only cursors and dead letters.")
@click.pass_context
def run(ctx: click.Context, source_spec: str, store_path: Path | None, speed: str, dashboard: bool,
        exit_when_done: bool, host: str | None, port: int | None, topic_model: Path | None,
        sentiment_model: Path | None, model_registry: Path | None, sink: str) -> None:
    """Run the local pipeline: source -> enrich -> SQLite store (+ live dashboard).

    Restarting with the same store resumes the source exactly where it stopped.
    """
    settings = _settings(ctx)
    try:
        factor = parse_speed(speed)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--speed") from err
    if sink == "es" and dashboard:
        click.echo("With --sink es the dashboards are in Kibana; the built-in dashboard is off.", err=True)
        dashboard = False
    run_local(settings, source_spec, store_path or settings.store, factor, dashboard, exit_when_done,
              host or settings.host, port or settings.port, topic_model, sink=sink,
              sentiment_model=sentiment_model, model_registry=model_registry)


@main.command()
@click.option("--port", type=int, default=8000, show_default=True, help="Dashboard port.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Dashboard address.")
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("var/demo.db"), show_default=True, help="SQLite store for the demo.")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the generated stream.")
@click.option("--resume", is_flag=True, help="Keep the previous demo store instead of starting fresh.")
@click.pass_context
def demo(ctx: click.Context, port: int, host: str, store_path: Path, seed: int, resume: bool) -> None:
    """Run the demo: a generated Dutch stream through the local pipeline into the live dashboard."""
    settings = _settings(ctx)
    if not resume:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{store_path}{suffix}").unlink(missing_ok=True)
    url = f"http://{host}:{port}/"
    store = shlex.quote(str(store_path))
    banner = (f"\n  Stadssignaal demo: open {url} in your browser\n"
              f"  (eight days of history load first, then live signals; a roadworks spike starts in a minute\n"
              f"  and raises an alert on {url}alerts within a few minutes, at any hour)\n"
              f"  The demo writes {store_path}; in another terminal:\n"
              f"    stadssignaal alerts --store {store}\n"
              f"    stadssignaal search groups --store {store}\n"
              f"    stadssignaal digest --store {store}\n"
              f"  Stop with Ctrl-C.\n")
    run_local(settings, f"demo:{seed}", store_path, None, True, False, host, port, banner=banner)


@main.group(cls=LazyGroup, invoke_without_command=True)
@click.option("--n", "n", type=int, default=20_000, show_default=True, help="Number of signals to use.")
@click.option("--sink", type=click.Choice(["sqlite", "es"]), default="sqlite", show_default=True,
              help="With 'es': docs/s through the Elasticsearch sink to --es-url.")
@click.option("--es-url", default=None, help="Elasticsearch URL for --sink es.")
@click.option("--kafka", is_flag=True, help="End to end through a local Kafka mock broker with 1 and 2 Faust workers.")
@click.option("--rounds", type=click.IntRange(1, 20), default=3, show_default=True,
              help="With --kafka: rounds of Kafka runs, each between two local runs; ratios per round and medians.")
@click.pass_context
def bench(ctx: click.Context, n: int, sink: str, es_url: str | None, kafka: bool, rounds: int) -> None:
    """Print throughput, latency and memory figures (never asserted in tests).

    Without a subcommand: enrich alone, the local runner end to end, p50/p99 latency at
    500 signals/s, peak memory, and the Signalen-style baseline classifier on the same texts.
    """
    if ctx.invoked_subcommand is not None:
        return
    if kafka:
        from pipeline.bench.kafka import run_kafka_bench

        run_kafka_bench(_settings(ctx), n, echo=click.echo, rounds=rounds)
        return
    if sink == "es":
        if not es_url:
            raise click.UsageError("--sink es needs --es-url")
        from pipeline.cli.elasticsearch import run_es_bench

        figures = run_es_bench(es_url, n)
        click.echo(f"Elasticsearch sink: {figures['docs_per_s']:,.0f} docs/s over {figures['docs']} docs "
                   f"(target >= 5,000), dead letters: {figures['dead_letters']}")
        click.echo(json.dumps(figures, indent=2, default=str))
        return
    from pipeline.bench.core import run_core_bench

    run_core_bench(_settings(ctx), n, echo=click.echo)


# Commands that live next to their features, imported only when they run (keeps `--help` fast).
COMMANDS: dict[str, tuple[str, str]] = {
    "alerts": ("pipeline.cli.alerts:alerts_command", "List spike alerts from the store, newest first."),
    "connect": ("pipeline.cli.kafka:connect", "Produce raw signals from a source to Kafka, resuming from a cursor."),
    "dashboard": ("pipeline.cli.dashboard:dashboard", "Serve the live dashboard on a store another process fills."),
    "dashboards": ("pipeline.cli.elasticsearch:dashboards", "Kibana: install the Stadssignaal dashboards."),
    "demo-data": ("pipeline.cli.sources:demo_data", "Generate realistic demo signals (tweets, posts, call notes, searches)."),
    "digest": ("pipeline.cli.dashboard:digest", "Write the daily digest as HTML (and PDF), optionally by e-mail."),
    "es": ("pipeline.cli.elasticsearch:es", "Elasticsearch: index templates, retention policy and aliases."),
    "evaluate": ("pipeline.cli.models:evaluate", "Report a topic model on a labelled file."),
    "evaluate-sentiment": ("pipeline.cli.models:evaluate_sentiment", "Report sentiment on a labelled file."),
    "models": ("pipeline.cli.model_registry:models", "Retrain on advisers' corrections; list, promote, roll back."),
    "hash-password": ("pipeline.cli.dashboard:hash_password_command", "Print a password hash for a dashboard account."),
    "purge": ("pipeline.cli.store:purge", "Delete what is older than the retention period."),
    "search": ("pipeline.cli.search:search", "Webteam: site-search groups, zero results and their review."),
    "status": ("pipeline.cli.connectors:status_command", "Show each connector's last poll, last error and lag."),
    "topics": ("pipeline.cli.kafka:topics", "Kafka topics of the distributed runner."),
    "train": ("pipeline.cli.models:train", "Train a model on a labelled CSV and print its report."),
    "worker": ("pipeline.cli.kafka:worker", "Run a Kafka worker: enrich, count, detect spikes, write the sink."),
}
BENCH_COMMANDS: dict[str, tuple[str, str]] = {
    "alerts": ("pipeline.cli.alerts:bench_alerts_command", "Spike alerts: detection, false alarms, cost."),
    "corrections": ("pipeline.bench.corrections:bench_corrections",
                    "Demo corrections of the least certain messages, then retrain with its learning curve."),
    "dashboard": ("pipeline.cli.dashboard:dashboard_bench", "Every dashboard query on a large synthetic store."),
    "enrich": ("pipeline.bench.enrich:bench_command", "Enrichment throughput and reference-data scores."),
    "models": ("pipeline.cli.models:bench_models", "Topic and sentiment models against their targets."),
    "search": ("pipeline.cli.search:bench_search", "Search-term grouping: precision, recall and speed."),
}
for _name, (_target, _help) in COMMANDS.items():
    main.add_lazy(_name, _target, _help)
for _name, (_target, _help) in BENCH_COMMANDS.items():
    bench.add_lazy(_name, _target, _help)

if __name__ == "__main__":  # pragma: no cover
    main()

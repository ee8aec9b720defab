"""Click commands of the distributed runner: `worker`, `topics create|list`, `connect SOURCE` and `bench-kafka`.

The main `stadssignaal` group registers `worker`, `topics` and `connect`; `stadssignaal bench --kafka`
calls `run_kafka_bench`.
"""
from __future__ import annotations

import logging
import signal as os_signal
import threading
from pathlib import Path
from typing import Any

import click

from pipeline.cli.model_options import build_enricher, model_options, registry_option
from pipeline.core.settings import Settings, load_settings
from pipeline.runners.kafka.config import SINK_KINDS, KafkaSettings, load_kafka_settings

log = logging.getLogger(__name__)

BROKER_HELP = "Kafka bootstrap servers host:port[,host:port] (default: STADSSIGNAAL_KAFKA_BROKER or localhost:9092)."


def pipeline_settings(ctx: click.Context) -> Settings:
    """The settings the main group loaded, or freshly loaded ones when run on its own."""
    obj = ctx.find_root().obj
    if isinstance(obj, dict) and isinstance(obj.get("settings"), Settings):
        return obj["settings"]
    return load_settings()


def kafka_settings(**overrides: Any) -> KafkaSettings:
    """KafkaSettings from the environment and settings file, with command-line overrides; usage error if invalid."""
    try:
        return load_kafka_settings(**overrides)
    except (ValueError, FileNotFoundError) as err:
        raise click.UsageError(str(err)) from err


@click.command()
@click.option("--broker", default=None, help=BROKER_HELP)
@click.option("--sink", type=click.Choice(SINK_KINDS), default=None,
              help="Where enriched signals go (default: STADSSIGNAAL_KAFKA_SINK or sqlite).")
@click.option("--store", "sqlite_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite store for --sink sqlite (default var/stadssignaal.db).")
@click.option("--partitions", type=click.IntRange(min=1), default=None, help="Partitions per topic (default 8).")
@click.option("--app-id", default=None, help="Faust app id = consumer group (default stadssignaal).")
@click.option("--progress-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSON file where the worker keeps its counts and owned partitions.")
@click.option("--session-timeout", type=click.FloatRange(min=1), default=None,
              help="Seconds before a silent worker is dropped from the group (default 10).")
@click.option("--commit-interval", type=click.FloatRange(min=0.1), default=None,
              help="Seconds between offset commits (default 2.8).")
@click.option("--loglevel", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]), help="Faust worker log level.")
@model_options
@registry_option
@click.pass_context
def worker(ctx: click.Context, broker: str | None, sink: str | None, sqlite_path: Path | None,
           partitions: int | None, app_id: str | None, progress_file: Path | None,
           session_timeout: float | None, commit_interval: float | None, loglevel: str,
           topic_model: Path | None, sentiment_model: Path | None, model_registry: Path | None) -> None:
    """Run a Faust worker: enrich signals.raw, count and detect spikes, write the sink.

    Start as many as there are partitions; workers with the same --app-id share the work
    and take over from each other. Topics must exist (`stadssignaal topics create`).
    """
    from pipeline.runners.kafka.app import build_worker_app, run_worker

    kafka = kafka_settings(broker=broker, sink=sink, sqlite_path=sqlite_path, partitions=partitions, app_id=app_id,
                           progress_file=progress_file, session_timeout=session_timeout,
                           commit_interval=commit_interval)
    settings = pipeline_settings(ctx)
    enricher = build_enricher(settings, topic_model, sentiment_model, model_registry)
    try:
        worker_app = build_worker_app(kafka, settings, enricher=enricher)
    except Exception as err:  # noqa: BLE001 - e.g. an unreachable Elasticsearch or a bad store path
        raise click.ClickException(f"cannot start the worker: {type(err).__name__}: {err}") from err
    run_worker(worker_app, loglevel=loglevel)


@click.group()
def topics() -> None:
    """Kafka topics of the distributed runner."""


@topics.command("create")
@click.option("--broker", default=None, help=BROKER_HELP)
@click.option("--partitions", type=click.IntRange(min=1), default=None, help="Partitions per topic (default 8).")
@click.option("--replication-factor", type=click.IntRange(min=1), default=None,
              help="Copies of each partition (default 1; use 3 on a production cluster).")
@click.option("--app-id", default=None, help="Faust app id, the prefix of internal topics (default stadssignaal).")
def topics_create(broker: str | None, partitions: int | None, replication_factor: int | None,
                  app_id: str | None) -> None:
    """Create every topic the connectors and workers use (existing topics are left alone)."""
    from kafka.errors import KafkaError

    from pipeline.runners.kafka.topics import create_on_cluster

    kafka = kafka_settings(broker=broker, partitions=partitions, replication_factor=replication_factor, app_id=app_id)
    try:
        created, existing = create_on_cluster(kafka)
    except KafkaError as err:
        raise click.ClickException(f"cannot create topics on {kafka.broker}: {type(err).__name__}: {err}") from err
    for name in created:
        click.echo(f"created  {name} ({kafka.partitions} partitions)")
    for name in existing:
        click.echo(f"exists   {name}")


@topics.command("list")
@click.option("--partitions", type=click.IntRange(min=1), default=None, help="Partitions per topic (default 8).")
@click.option("--app-id", default=None, help="Faust app id, the prefix of internal topics (default stadssignaal).")
def topics_list(partitions: int | None, app_id: str | None) -> None:
    """Print the topics `topics create` makes (name, partitions, configs), without contacting Kafka."""
    from pipeline.runners.kafka.topics import required_topics

    kafka = kafka_settings(partitions=partitions, app_id=app_id)
    for spec in required_topics(kafka):
        configs = ",".join(f"{k}={v}" for k, v in spec.configs)
        click.echo(f"{spec.name}\t{spec.partitions}\t{configs}")


def _stop_on_signals(stop: threading.Event) -> dict[int, Any]:
    """SIGINT and SIGTERM finish the current batch, save the cursor and stop; returns the old handlers."""
    def handler(signum: int, _frame: Any) -> None:
        """Ask the connector to stop."""
        log.info("received %s; stopping after the current batch", os_signal.Signals(signum).name)
        stop.set()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (os_signal.SIGINT, os_signal.SIGTERM):
            previous[signum] = os_signal.signal(signum, handler)
    return previous


def run_connector(source: Any, broker: str | None, state_file: Path | None, until_idle: bool = False) -> None:
    """Run one source into Kafka until it ends (or, `until_idle`, has nothing new) or is stopped.

    A broker that does not acknowledge a batch ends the command with an error; the cursor stays before it.
    """
    from kafka.errors import KafkaError

    from pipeline.runners.kafka.connector import Connector, ConnectorError, CursorFile, new_producer

    kafka = kafka_settings(broker=broker)
    try:
        producer = new_producer(kafka)
    except KafkaError as err:
        raise click.ClickException(f"cannot reach Kafka at {kafka.broker}: {type(err).__name__}: {err}") from err
    connector = Connector(source, producer, kafka, CursorFile(state_file) if state_file else None)
    stop = threading.Event()
    previous = _stop_on_signals(stop)
    try:
        stats = connector.run(stop, until_idle=until_idle)
    except (ConnectorError, FileNotFoundError) as err:
        raise click.ClickException(str(err)) from err
    finally:
        producer.close(timeout=10)
        for signum, handler in previous.items():
            os_signal.signal(signum, handler)
    click.echo(f"Sent {stats.signals} signals and {stats.dead} dead letters in {stats.elapsed:.1f} s "
               f"(cursor: {connector.cursor_file.path})", err=True)


STATE_FILE_OPTION = click.option(
    "--state-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="JSON file holding the source cursor (default: one per source under var/connectors/).")


@click.group()
def connect() -> None:
    """Source connectors: produce raw signals to Kafka, resuming from a saved cursor."""


@connect.command("replay")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--speed", default="max", show_default=True,
              help="'max' or a factor of real time (1 = as it happened, 60 = an hour a minute).")
@click.option("--broker", default=None, help=BROKER_HELP)
@STATE_FILE_OPTION
@click.pass_context
def connect_replay(ctx: click.Context, file: Path, speed: str, broker: str | None, state_file: Path | None) -> None:
    """Replay a JSONL or CSV file of raw signals into signals.raw, then stop."""
    from pipeline.sources.spec import open_source, parse_speed

    try:
        source = open_source(f"replay:{file}", pipeline_settings(ctx), speed=parse_speed(speed))
    except ValueError as err:
        raise click.UsageError(str(err)) from err
    run_connector(source, broker, state_file)


@connect.command("folder")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--once", is_flag=True, help="Stop when every export in the folder has been sent.")
@click.option("--broker", default=None, help=BROKER_HELP)
@STATE_FILE_OPTION
@click.pass_context
def connect_folder(ctx: click.Context, directory: Path, once: bool, broker: str | None,
                   state_file: Path | None) -> None:
    """Watch a folder of call-note exports and send each settled file once."""
    from pipeline.sources.spec import open_source

    try:
        source = open_source(f"folder:{directory}", pipeline_settings(ctx), once=once)
    except ValueError as err:
        raise click.UsageError(str(err)) from err
    run_connector(source, broker, state_file)


@connect.command("demo")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the generated stream.")
@click.option("--history-hours", type=click.FloatRange(min=0), default=48, show_default=True,
              help="Hours of history sent first, as fast as possible.")
@click.option("--live-rate", type=click.FloatRange(min=0), default=3.0, show_default=True,
              help="Live signals per second after the history (0: stop once the history is sent).")
@click.option("--broker", default=None, help=BROKER_HELP)
@STATE_FILE_OPTION
def connect_demo(seed: int, history_hours: float, live_rate: float, broker: str | None,
                 state_file: Path | None) -> None:
    """Send the generated demo stream (Dutch posts, call notes, searches, with a roadworks spike)."""
    from pipeline.sources.demo.generator import DemoSource

    source = DemoSource(seed=seed, history_hours=history_hours, live_rate=live_rate)
    run_connector(source, broker, state_file, until_idle=live_rate == 0)


@connect.command("source")
@click.argument("spec")
@click.option("--broker", default=None, help=BROKER_HELP)
@STATE_FILE_OPTION
@click.pass_context
def connect_source(ctx: click.Context, spec: str, broker: str | None, state_file: Path | None) -> None:
    """Send any source of `stadssignaal run --source` (twitter-search, facebook, access-log:FILE, ...)."""
    from pipeline.sources.spec import open_source

    try:
        source = open_source(spec, pipeline_settings(ctx))
    except ValueError as err:
        raise click.UsageError(str(err)) from err
    run_connector(source, broker, state_file)


def _serve_push_endpoint(routes: list[Any], host: str, port: int) -> Any:
    """Serve push routes (beacon, call-note ingest) in a background thread; return the server."""
    from starlette.applications import Starlette

    from pipeline.apps.dashboard.server import DashboardServer

    server = DashboardServer(Starlette(routes=routes), host, port)
    try:
        server.start()
    except (OSError, RuntimeError) as err:
        raise click.ClickException(f"cannot listen on {host}:{port}: {err}") from err
    click.echo(f"Listening on {server.url}", err=True)
    return server


@connect.command("beacon")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8100, show_default=True, help="Port to listen on.")
@click.option("--broker", default=None, help=BROKER_HELP)
def connect_beacon(host: str, port: int, broker: str | None) -> None:
    """Serve the site-search tracking endpoint (/track/search) and send each search to signals.raw."""
    from pipeline.apps.webteam.tracking import tracking_routes
    from pipeline.sources.connectors.ingest import IngestQueue

    bridge = IngestQueue(name="beacon:site-search")
    server = _serve_push_endpoint(tracking_routes(lambda raw: bridge.on_signals([raw])), host, port)
    try:
        run_connector(bridge, broker, None)
    finally:
        server.stop()


@connect.command("call-notes")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8101, show_default=True, help="Port to listen on.")
@click.option("--broker", default=None, help=BROKER_HELP)
@click.pass_context
def connect_call_notes(ctx: click.Context, host: str, port: int, broker: str | None) -> None:
    """Serve the authenticated call-note push endpoint (/ingest/call-notes) and send notes to signals.raw."""
    from pipeline.sources.connectors.ingest import IngestQueue, ingest_routes
    from pipeline.sources.connectors.settings import load_connector_settings

    try:
        ingest = load_connector_settings(pipeline_settings(ctx).connectors).ingest
    except (OSError, ValueError) as err:
        raise click.UsageError(f"connector settings: {err}") from err
    if not ingest.tokens:
        raise click.UsageError("no ingest tokens: set [ingest] tokens or STADSSIGNAAL_INGEST_TOKENS")
    bridge = IngestQueue(name="ingest:call-notes")
    routes = ingest_routes(bridge.on_signals, ingest.tokens, ingest.field_mapping or None, ingest.max_batch)
    server = _serve_push_endpoint(routes, host, port)
    try:
        run_connector(bridge, broker, None)
    finally:
        server.stop()


@click.command("bench-kafka")
@click.option("--n", "n", type=click.IntRange(min=100), default=20_000, show_default=True,
              help="Number of signals to push through.")
@click.option("--partitions", type=click.IntRange(min=1), default=4, show_default=True,
              help="Partitions per topic on the mock broker.")
@click.option("--rounds", type=click.IntRange(1, 20), default=3, show_default=True,
              help="Rounds of Kafka runs, each between two local runs; ratios per round and their medians.")
@click.pass_context
def bench_kafka(ctx: click.Context, n: int, partitions: int, rounds: int) -> None:
    """Signals/s end to end through a mock Kafka broker with one and two workers, vs the local runner."""
    from pipeline.bench.kafka import run_kafka_bench

    run_kafka_bench(pipeline_settings(ctx), n, partitions=partitions, echo=click.echo, rounds=rounds)

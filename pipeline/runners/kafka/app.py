"""Build the Faust app: settings, the enricher, the sink, the enrich task (fed by its own raw batch consumer),
and the counts, alert-sink and (unless the enrich task writes the sink itself, `sink_in_enrich`) sink agents."""
from __future__ import annotations

import gc
import logging
from dataclasses import dataclass
from typing import Any

from pipeline.core.heap import freeze_loaded_objects
from pipeline.core.settings import Settings
from pipeline.enrich.batch import BatchEnricher
from pipeline.runners.kafka.agents.counts import register_counts_agent
from pipeline.runners.kafka.agents.enrich import register_enrich_task
from pipeline.runners.kafka.agents.sink import register_alert_sink_agent, register_sink_agent
from pipeline.runners.kafka.config import KafkaSettings
from pipeline.runners.kafka.deleted_records import watch_deleted_records
from pipeline.runners.kafka.progress import WorkerProgress
from pipeline.runners.kafka.raw_consumer import RawBatchConsumer
from pipeline.runners.kafka.transport import StadsApp
from pipeline.sinks.base import Sink
from pipeline.sinks.opening import open_sink

log = logging.getLogger(__name__)

PRODUCER_BUFFER_MESSAGES = 2000
# Allocations between young-generation collections (CPython's default is 700).
GC_YOUNG_THRESHOLD = 10_000


@dataclass
class WorkerApp:
    """The Faust app and what it owns (the sink to close, the progress to report, the raw batch consumer)."""

    app: StadsApp
    sink: Sink
    progress: WorkerProgress
    raw_consumer: RawBatchConsumer


def faust_options(settings: KafkaSettings) -> dict[str, Any]:
    """Faust settings: no topic declaration (topics are created up front), no web server, at-least-once."""
    return {
        "broker": [f"kafka://{host}" for host in settings.bootstrap_servers],
        "topic_allow_declare": False,
        "topic_partitions": settings.partitions,
        "topic_replication_factor": settings.replication_factor,
        "web_enabled": False,
        "datadir": str(settings.datadir),
        "store": "memory://",
        "processing_guarantee": "at_least_once",
        # Do not wait for every consumed record to be acknowledged before a rebalance: the counts agent holds
        # detector records until a saved state covers them, and every agent is safe to re-deliver to.
        "stream_wait_empty": False,
        "producer_acks": -1,
        "consumer_auto_offset_reset": "earliest",
        "broker_session_timeout": settings.session_timeout,
        "broker_heartbeat_interval": min(settings.heartbeat_interval, settings.session_timeout / 3),
        "broker_request_timeout": max(90.0, settings.session_timeout * 2),
        "broker_commit_interval": settings.commit_interval,
        "consumer_group_instance_id": settings.group_instance_id,
        "producer_linger_ms": 20,
        "producer_max_batch_size": 512 * 1024,
        "producer_max_request_size": 4 * 1024 * 1024,
        "stream_recovery_delay": 0.0,
        "table_cleanup_interval": settings.table_cleanup_seconds,
        "table_standby_replicas": settings.standby_replicas,
        "worker_redirect_stdouts": False,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }


def detector_config(settings: Settings) -> Any:
    """The spike detector's settings: the `alerts` settings when the core has them, else the `[alerts]`
    table of the TOML settings file, else the defaults."""
    import os
    import tomllib

    from pipeline.alerts.config import DetectorConfig, config_from_settings
    from pipeline.core.settings import CONFIG_ENV

    if getattr(settings, "alerts", None) is not None:
        return config_from_settings(settings)
    path = os.environ.get(CONFIG_ENV)
    if path and os.path.isfile(path):
        with open(path, "rb") as fh:
            table = tomllib.load(fh).get("alerts")
        if isinstance(table, dict):
            return config_from_settings(type("AlertSettings", (), {"alerts": table})())
    return DetectorConfig()


def build_worker_app(kafka: KafkaSettings, settings: Settings, enricher: BatchEnricher | None = None,
                     sink: Sink | None = None) -> WorkerApp:
    """The Faust app with its agents; `enricher` and `sink` default to the configured ones."""
    if enricher is None:
        from pipeline.models.enricher_setup import enricher_for

        enricher = enricher_for(settings)
    kafka.datadir.mkdir(parents=True, exist_ok=True)
    watch_deleted_records()
    sink = sink if sink is not None else open_sink(kafka.sink, kafka.sqlite_path)
    app = StadsApp(kafka.app_id, fetch_max_wait_ms=kafka.fetch_max_wait_ms, leader_sync_delay=kafka.leader_sync_delay,
                   **faust_options(kafka))

    raw_consumers: list[RawBatchConsumer] = []

    def owned_partitions() -> list[tuple[str, int]]:
        """(topic, partition) pairs assigned to this worker: Faust's and the raw consumer's."""
        owned = [(tp.topic, tp.partition) for tp in app.consumer.assignment()]
        return owned + [pair for consumer in raw_consumers for pair in consumer.assignment()]

    progress = WorkerProgress(kafka.progress_file, owned_partitions)

    @app.on_partitions_assigned.connect
    async def _report_assignment(sender: Any, assigned: Any = None, **kwargs: Any) -> None:
        """Save the progress file with the new assignment."""
        progress.save()

    @app.task
    async def _roomier_producer_buffer() -> None:
        # Table changelog updates queue up in this buffer; Faust pauses every stream when it holds
        # more than 100, which a batch of facts spanning many windows easily exceeds.
        """Let more changelog messages wait before streams are paused."""
        app.producer.buffer.max_messages = PRODUCER_BUFFER_MESSAGES

    @app.timer(1.0)
    async def _save_progress() -> None:
        """Write counters that changed since the last save."""
        progress.save_if_changed()

    raw_consumers.append(register_enrich_task(app, kafka, enricher, settings.max_text_chars, settings.municipality,
                                              progress, sink=sink if kafka.sink_in_enrich else None))
    register_counts_agent(app, kafka, detector_config(settings), progress)
    if not kafka.sink_in_enrich:
        register_sink_agent(app, kafka, sink, progress)
    register_alert_sink_agent(app, kafka, sink, progress)
    writer = "the enrich task" if kafka.sink_in_enrich else f"the sink agent on {kafka.topic_enriched}"
    log.info("worker app %s: broker %s, %d partitions, sink %s written by %s", kafka.app_id, kafka.broker,
             kafka.partitions, sink.name, writer)
    return WorkerApp(app, sink, progress, raw_consumers[0])


def freeze_startup_heap(young_threshold: int = GC_YOUNG_THRESHOLD) -> None:
    """Move everything built at startup (models, Faust, aiokafka) out of the garbage collector's sight and
    collect the young generation less often: the worker creates short-lived objects per record, and each
    full collection would otherwise walk the whole startup heap again (about 0.1 s each)."""
    freeze_loaded_objects()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(young_threshold, older, oldest)


def run_worker(worker: WorkerApp, loglevel: str = "info") -> None:
    """Run the Faust worker until it is stopped (SIGINT/SIGTERM), then close the sink."""
    import faust

    class PlainWorker(faust.Worker):
        """faust.Worker without the terminal spinner, which lowers the root logger to DEBUG (costly)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            """A faust.Worker whose spinner is switched off."""
            super().__init__(*args, **kwargs)
            self.spinner = None

    freeze_startup_heap()
    try:
        PlainWorker(worker.app, loglevel=loglevel, quiet=True, redirect_stdouts=False).execute_from_commandline()
    finally:
        worker.sink.close()
        worker.progress.save()

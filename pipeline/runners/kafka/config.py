"""Settings of the distributed runner: broker, topic names, partitions, timeouts and the sink.

Read from STADSSIGNAAL_KAFKA_* environment variables and from the `[kafka]` table of the TOML
settings file named by STADSSIGNAAL_CONFIG (the same file the rest of the pipeline reads).
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from pipeline.core.settings import CONFIG_ENV

SINK_KINDS = ("sqlite", "elasticsearch", "none")


class KafkaSettings(BaseSettings):
    """Everything a connector or a Faust worker needs to reach Kafka and the sink."""

    model_config = SettingsConfigDict(env_prefix="STADSSIGNAAL_KAFKA_", extra="ignore")

    broker: str = Field("localhost:9092", description="bootstrap servers, comma-separated host:port")
    app_id: str = Field("stadssignaal", description="Faust app id: the consumer group and internal topic prefix")
    topic_raw: str = Field("signals.raw", description="raw signals from the connectors (key = signal id)")
    topic_enriched: str = Field("signals.enriched", description="enriched signals (key = signal id)")
    topic_alerts: str = Field("signals.alerts", description="spike alert events (key = alert id)")
    topic_deadletter: str = Field("signals.deadletter", description="records that could not be processed")
    partitions: int = Field(8, ge=1, description="partitions of every topic (the upper bound on workers)")
    replication_factor: int = Field(1, ge=1, description="replication factor used by `topics create`")
    sink: str = Field("sqlite", description="where enriched signals and alerts are stored: sqlite, elasticsearch "
                      "or none")
    sqlite_path: Path = Field(Path("var/stadssignaal.db"), description="SQLite store for sink=sqlite")
    sink_in_enrich: bool = Field(True, description="the enrich task writes each batch to the sink itself "
                                 "(no second pass over signals.enriched); false: a separate sink agent "
                                 "consumes signals.enriched")
    batch_size: int = Field(1000, ge=1, description="signals per batch (the enrich task's raw batches, the "
                            "sink agents' batches)")
    batch_seconds: float = Field(0.5, gt=0, description="longest wait for a batch to fill")
    session_timeout: float = Field(6.0, gt=0, description="seconds before a silent (crashed) worker leaves the "
                                   "group and its partitions move: the bulk of a takeover")
    heartbeat_interval: float = Field(1.0, gt=0, description="seconds between consumer heartbeats (at most a third "
                                      "of the session timeout); also how soon a worker hears of a rebalance")
    group_instance_id: str | None = Field(None, description="static group membership: a name unique to this "
                                          "worker and kept across its restarts (a worker back within the session "
                                          "timeout gets its partitions again without a rebalance); off by default")
    commit_interval: float = Field(2.8, gt=0, description="seconds between offset commits")
    fetch_max_wait_ms: int = Field(100, ge=0, description="longest a fetch waits on the broker for new data")
    leader_sync_delay: float = Field(0.0, ge=0, description="seconds the group leader waits before assigning "
                                     "(1 against librdkafka's mock cluster, 0 on a real cluster)")
    standby_replicas: int = Field(0, ge=0, description="standby copies of each count and detector-state table "
                                  "partition kept by other workers (Faust's table_standby_replicas). 0: a worker "
                                  "taking over restores the partition from its changelog, which holds two days of "
                                  "count entries (expired windows are tombstoned; compacted on a real broker); 1 "
                                  "keeps a warm copy, but each standby reads and applies every count entry the "
                                  "active worker writes (about a third more CPU per signal with two workers)")
    table_cleanup_seconds: float = Field(30.0, gt=0, description="how often the count tables drop windows older "
                                         "than their retention (two days of event time) from memory")
    snapshot_seconds: float = Field(30.0, gt=0, description="how often the spike detector state is saved")
    merge_idle_seconds: float = Field(30.0, gt=0, description="a raw partition that sent no facts this long "
                                      "stops holding back the detector's event-time merge")
    datadir: Path = Field(Path("var/faust"), description="Faust's local data directory")
    progress_file: Path | None = Field(None, description="JSON file a worker keeps its counts and partitions in")
    connector_state_dir: Path = Field(Path("var/connectors"), description="where connectors keep their cursor")
    produce_timeout: float = Field(60.0, gt=0, description="seconds a connector waits for the broker's acks")

    @field_validator("sink")
    @classmethod
    def _known_sink(cls, value: str) -> str:
        """Accept sqlite, elasticsearch or none (any case)."""
        kind = value.strip().lower()
        if kind not in SINK_KINDS:
            raise ValueError(f"sink must be one of {', '.join(SINK_KINDS)}, got {value!r}")
        return kind

    @field_validator("broker")
    @classmethod
    def _bare_broker(cls, value: str) -> str:
        """Accept 'host:port' lists with or without a kafka:// prefix."""
        text = value.strip()
        if text.startswith("kafka://"):
            text = text[len("kafka://"):]
        if not text:
            raise ValueError("broker must name at least one host:port")
        return text

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order: explicit arguments, environment, then the `[kafka]` table of the TOML settings file."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = os.environ.get(CONFIG_ENV)
        if path and Path(path).is_file():
            sources.append(InitSettingsSource(settings_cls, init_kwargs=kafka_table(Path(path))))
        return tuple(sources)

    @property
    def bootstrap_servers(self) -> list[str]:
        """The broker list as kafka-python wants it."""
        return [part.strip() for part in self.broker.split(",") if part.strip()]

    @property
    def raw_group(self) -> str:
        """The consumer group that reads `topic_raw` in batches (Faust's group, `app_id`, reads the rest)."""
        return f"{self.app_id}-raw"

    @property
    def facts_topic(self) -> str:
        """Internal topic of counting facts, keyed by counting key (topic code, channel) so they spread."""
        return f"{self.app_id}-signal-facts"

    @property
    def detect_topic(self) -> str:
        """Internal topic of the spike detector's facts, keyed so one partition sees a municipality's whole
        stream; apart from the counting facts, so that partition's volume never crowds them."""
        return f"{self.app_id}-detector-facts"

    @property
    def leader_topic(self) -> str:
        """Faust's leader-election topic, which must exist when topics are not auto-declared."""
        return f"{self.app_id}-__assignor-__leader"

    def changelog_topic(self, table: str) -> str:
        """The changelog topic Faust uses for `table`."""
        return f"{self.app_id}-{table}-changelog"


def kafka_table(path: Path) -> dict[str, Any]:
    """The `[kafka]` table of a TOML settings file (empty when absent); a broken file is a ValueError."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"settings file {path} is not valid TOML: {err}") from None
    table = data.get("kafka", {})
    if not isinstance(table, dict):
        raise ValueError(f"settings file {path}: [kafka] must be a table")
    return table


def load_kafka_settings(config: str | Path | None = None, **overrides: Any) -> KafkaSettings:
    """Load the settings, reading `config` (TOML, its `[kafka]` table) when given; None overrides are ignored."""
    if config is not None:
        if not Path(config).is_file():
            raise FileNotFoundError(f"settings file not found: {config}")
        os.environ[CONFIG_ENV] = str(config)
    return KafkaSettings(**{k: v for k, v in overrides.items() if v is not None})

"""Open the sink a runner is configured for: SQLite, Elasticsearch or none."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.sinks.base import NullSink, Sink

SINK_NAMES = {"sqlite": "sqlite", "elasticsearch": "elasticsearch", "es": "elasticsearch", "none": "none"}


def open_sink(kind: str, sqlite_path: str | Path, es_config: Any = None) -> Sink:
    """The opened sink `kind` ('sqlite', 'elasticsearch'/'es' or 'none'). Elasticsearch keeps cursors and the
    detector's snapshot in the SQLite file at `sqlite_path`; `es_config` defaults to STADSSIGNAAL_ES_*."""
    name = SINK_NAMES.get(kind.strip().lower())
    if name == "sqlite":
        from pipeline.sinks.sqlite.sink import SqliteSink

        return SqliteSink(sqlite_path).open()
    if name == "elasticsearch":
        from pipeline.sinks.elasticsearch.config import EsConfig
        from pipeline.sinks.elasticsearch.contract import EsSink

        return EsSink(es_config if es_config is not None else EsConfig.from_env(), state_path=sqlite_path).open()
    if name == "none":
        return NullSink()
    raise ValueError(f"unknown sink {kind!r}: sqlite, elasticsearch or none")

"""Where a worker stores enriched signals and alerts, behind one small interface (SQLite, Elasticsearch, none)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol, Sequence

from pipeline.runners.kafka.config import KafkaSettings
from pipeline.core.signal import DeadLetter

log = logging.getLogger(__name__)


class BatchSink(Protocol):
    """Stores a batch durably before returning; re-delivered documents overwrite themselves (upsert on id)."""

    name: str
    # True when a write waits on the network (run it in a thread so the worker's event loop goes on);
    # False when it is a short local transaction (a thread would only compete for the GIL).
    in_thread: bool

    def write_batch(self, docs: list[dict[str, Any]], encoded: Sequence[str] | None = None) -> list[DeadLetter]:
        """Store `docs`; return the ones that can never be stored as dead letters. Raise to retry the batch.

        `encoded`, optional: each doc's compact JSON in the same order (a sink may use it instead of encoding).
        """
        ...

    def write_alerts(self, events: list[dict[str, Any]]) -> list[DeadLetter]:
        """Store alert events (AlertEvent.to_dict() form), one row/document per alert id. Raise to retry."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def alert_event(payload: dict[str, Any]) -> Any:
    """An AlertEvent from its JSON form; raises ValueError/KeyError/TypeError when it is not one."""
    from pipeline.alerts.model import Alert, AlertEvent, parse_iso

    at = parse_iso(payload["at"])
    if at is None:
        raise ValueError("alert event without a time")
    return AlertEvent(kind=str(payload["kind"]), alert=Alert.from_dict(payload["alert"]), at=at)


def alert_document(payload: dict[str, Any]) -> dict[str, Any]:
    """The alert as stored and indexed: the alert's fields plus the kind of its latest event."""
    return {**payload["alert"], "last_event": payload.get("kind")}


class SqliteBatchSink:
    """The SQLite store of the local runner; its upsert on id makes re-delivery harmless."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the store at `path`."""
        from pipeline.sinks.sqlite.alerts import AlertStore
        from pipeline.sinks.sqlite.store import SqliteStore

        self.name = f"sqlite:{path}"
        self.in_thread = False
        self.store = SqliteStore(path)
        self.alerts = AlertStore(path)

    def write_batch(self, docs: list[dict[str, Any]], encoded: Sequence[str] | None = None) -> list[DeadLetter]:
        """One transaction per batch; the docs' JSON is taken from `encoded` when given."""
        self.store.write(None, None, docs, encoded=encoded)
        return []

    def write_alerts(self, events: list[dict[str, Any]]) -> list[DeadLetter]:
        """Upsert into the store's alerts table; unreadable events become dead letters."""
        parsed, dead = [], []
        for payload in events:
            try:
                parsed.append(alert_event(payload))
            except (KeyError, TypeError, ValueError) as err:
                dead.append(DeadLetter.of(self.name, "alerts", f"not an alert event: {err}", str(payload)))
        self.alerts.write(parsed)
        return dead

    def close(self) -> None:
        """Close the store."""
        self.store.close()
        self.alerts.close()


class ElasticsearchBatchSink:
    """The Elasticsearch sink (daily indices, `_id` = signal id); flushes so a batch is indexed on return."""

    def __init__(self) -> None:
        """Connect with the STADSSIGNAAL_ES_* settings (one sink for signals, one for alerts)."""
        from pipeline.sinks.elasticsearch.sink import ElasticsearchSink
        from pipeline.sinks.elasticsearch.config import EsConfig

        config = EsConfig.from_env()
        self.name = f"elasticsearch:{config.signals_prefix}"
        self.in_thread = True
        self.sink = ElasticsearchSink(config)
        self.alerts = ElasticsearchSink(config, kind="alerts")

    def write_batch(self, docs: list[dict[str, Any]], encoded: Sequence[str] | None = None) -> list[DeadLetter]:
        """Buffer, then wait until every document is indexed or dead-lettered (`encoded` is not used)."""
        dead = self.sink.write(docs)
        dead.extend(self.sink.flush())
        return dead

    def write_alerts(self, events: list[dict[str, Any]]) -> list[DeadLetter]:
        """Index each alert under its id (a later event of the same alert overwrites it)."""
        docs, dead = [], []
        for payload in events:
            try:
                docs.append(alert_document(payload))
            except (KeyError, TypeError) as err:
                dead.append(DeadLetter.of(self.name, "alerts", f"not an alert event: {err}", str(payload)))
        dead.extend(self.alerts.write(docs))
        dead.extend(self.alerts.flush())
        return dead

    def close(self) -> None:
        """Flush and stop the sinks' sender threads."""
        for sink in (self.sink, self.alerts):
            for letter in sink.close(timeout=30):
                log.error("not indexed at shutdown: %s", letter.reason)


class NullSink:
    """Discards documents (enrichment and alerts only)."""

    name = "none"
    in_thread = False

    def write_batch(self, docs: list[dict[str, Any]], encoded: Sequence[str] | None = None) -> list[DeadLetter]:
        """Nothing to do."""
        return []

    def write_alerts(self, events: list[dict[str, Any]]) -> list[DeadLetter]:
        """Nothing to do."""
        return []

    def close(self) -> None:
        """Nothing to release."""


def open_sink(settings: KafkaSettings) -> BatchSink:
    """The sink named by `settings.sink` (Elasticsearch reads STADSSIGNAAL_ES_*)."""
    if settings.sink == "sqlite":
        return SqliteBatchSink(settings.sqlite_path)
    if settings.sink == "elasticsearch":
        return ElasticsearchBatchSink()
    return NullSink()

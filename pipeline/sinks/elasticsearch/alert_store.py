"""Alerts in Elasticsearch: one document per episode id in the daily alerts index of its start, overwritten on
every change (so re-deliveries and replays never duplicate), listed through the read alias. The detector's
saved state stays in a local SQLite file, like the runner's cursors."""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

from elastic_transport import TransportError
from elasticsearch import ApiError

from pipeline.alerts.model import AlertEvent, iso_z
from pipeline.sinks.elasticsearch.client import build_client, request
from pipeline.sinks.elasticsearch.config import EsConfig
from pipeline.sinks.elasticsearch.sink import ElasticsearchSink
from pipeline.sinks.sqlite.alerts import AlertStore

log = logging.getLogger(__name__)

MAX_LIST = 10_000   # Elasticsearch's default max_result_window


class AlertStoreError(RuntimeError):
    """The alerts could not be read (Elasticsearch unreachable or refusing the query)."""


def alert_documents(events: Iterable[AlertEvent]) -> list[dict[str, Any]]:
    """The alert document of every event, the last event per episode only (it carries the newest state); the
    usual range `band` is also given as `band_low` and `band_high`, so Kibana can draw and filter on each."""
    latest: dict[str, dict[str, Any]] = {}
    for event in events:
        doc = event.alert.to_dict()
        doc["last_event"] = event.kind
        band = doc.get("band")
        if band:
            doc["band_low"], doc["band_high"] = band[0], band[1]
        latest.pop(doc["id"], None)
        latest[doc["id"]] = doc
    return list(latest.values())


def search_body(limit: int, topic: str | None = None, status: str | None = None,
                since: datetime | None = None) -> dict[str, Any]:
    """The _search body listing alerts newest first, filtered like AlertStore.list."""
    filters: list[dict[str, Any]] = []
    if topic:
        filters.append({"term": {"topic": topic}})
    if status in ("open", "closed"):
        filters.append({"term": {"status": status}})
    if since is not None:
        filters.append({"range": {"start": {"gte": iso_z(since)}}})
    return {"size": max(1, min(int(limit), MAX_LIST)), "query": {"bool": {"filter": filters}},
            "sort": [{"start": {"order": "desc"}}, {"id": {"order": "asc"}}]}


class EsAlertStore:
    """The AlertStore interface on Elasticsearch: write(events), list(...), get(id), save_state/load_state, close.

    Writes go through the Elasticsearch sink (retries, back-pressure, dead letters) and are flushed before
    write() returns; documents Elasticsearch refused are logged as errors. `state_path` is the local SQLite
    file for the detector's state (None: state is not kept)."""

    def __init__(self, config: EsConfig, state_path: str | Path | None = None, client: Any = None,
                 readonly: bool = False) -> None:
        """Connect (or use the injected `client`); `readonly` only lists and gets."""
        self.config = config
        self.alias = config.alerts_prefix
        self._client = client if client is not None else build_client(config)
        self._owns_client = client is None
        self._sink = None if readonly else ElasticsearchSink(config, "alerts", client=self._client)
        self._state = AlertStore(state_path) if state_path is not None and not readonly else None

    def write(self, events: Iterable[AlertEvent]) -> int:
        """Index the alert of every event (the last event per episode wins); returns documents indexed."""
        if self._sink is None:
            raise AlertStoreError("this alert store was opened read-only")
        docs = alert_documents(events)
        if not docs:
            return 0
        dead = self._sink.write(docs)
        dead += self._sink.flush()
        for letter in dead:
            log.error("alert store: Elasticsearch did not store alert %s: %s", letter.position, letter.reason)
        return len(docs) - len(dead)

    def _search(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The `_source` of every hit of a search on the alerts alias ([] while no alerts index exists)."""
        try:
            response = request(self._client, "POST", f"/{self.alias}/_search", body=body)
        except ApiError as err:
            if err.meta.status == 404:
                return []
            raise AlertStoreError(f"Elasticsearch refused the alerts query: HTTP {err.meta.status} "
                                  f"{err.message}") from None
        except TransportError as err:
            raise AlertStoreError(f"cannot reach Elasticsearch: {type(err).__name__}: {err.message}") from None
        hits = ((response.body or {}).get("hits") or {}).get("hits") or []
        return [hit["_source"] for hit in hits if isinstance(hit.get("_source"), dict)]

    def list(self, limit: int = 100, topic: str | None = None, status: str | None = None,
             since: datetime | None = None) -> list[dict[str, Any]]:
        """Alerts newest first, optionally filtered by topic, status ('open'/'closed') and start time."""
        return self._search(search_body(limit, topic, status, since))

    def get(self, alert_id: str) -> dict[str, Any] | None:
        """One alert by id, or None."""
        found = self._search({"size": 1, "query": {"ids": {"values": [alert_id]}}})
        return found[0] if found else None

    def save_state(self, state: dict[str, Any], name: str = "detector") -> None:
        """Persist the detector snapshot in the local state file (skipped without one)."""
        if self._state is not None:
            self._state.save_state(state, name)

    def load_state(self, name: str = "detector") -> dict[str, Any] | None:
        """The last saved detector snapshot from the local state file, or None."""
        return self._state.load_state(name) if self._state is not None else None

    def signals_after(self, ts: float) -> list[dict[str, Any]]:
        """Signals live in Elasticsearch, not in the state file: nothing to catch up on locally."""
        return []

    def close(self) -> None:
        """Flush and stop the sink, close the state file and (when owned) the client."""
        if self._sink is not None:
            for letter in self._sink.close():
                log.error("alert store: Elasticsearch did not store alert %s: %s", letter.position, letter.reason)
        if self._state is not None:
            self._state.close()
        if self._owns_client:
            try:
                self._client.close()
            except Exception:  # noqa: BLE001 - closing must never raise
                log.debug("closing the Elasticsearch client failed", exc_info=True)

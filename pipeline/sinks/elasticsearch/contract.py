"""Elasticsearch behind the sink contract: signals, alerts and dead letters in their daily indices; the
source cursor and the detector's snapshot in a small local SQLite file, committed after Elasticsearch has
the batch."""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from pipeline.core.signal import DeadLetter
from pipeline.sinks.base import SinkBatch
from pipeline.sinks.elasticsearch.alert_store import alert_documents
from pipeline.sinks.elasticsearch.config import EsConfig
from pipeline.sinks.elasticsearch.sink import ElasticsearchSink

log = logging.getLogger(__name__)


def deadletter_document(letter: DeadLetter) -> dict[str, Any]:
    """A dead letter as indexed: reason, where, when, and the raw record's length and hash; never its content.

    The `_id` is derived from source, position and hash, so a re-delivered dead letter overwrites itself.
    """
    raw_hash: str | None = letter.raw_sha256 or None
    size = letter.raw_bytes
    if raw_hash is None:
        data = letter.raw.encode("utf-8", errors="replace")
        raw_hash, size = hashlib.sha256(data).hexdigest(), len(data)
    key = hashlib.sha256(f"{letter.source}\n{letter.position}\n{raw_hash}".encode("utf-8")).hexdigest()[:40]
    return {"id": key, "source": letter.source, "position": letter.position, "reason": letter.reason,
            "at": letter.at.isoformat(), "size": size, "sha256": raw_hash}


class EsSink:
    """Signals, alerts and dead letters to Elasticsearch (`_id` = signal id / alert id / letter id)."""

    blocking = True

    def __init__(self, config: EsConfig, state_path: str | Path | None = None, client: Any = None) -> None:
        """A sink for `config`; `state_path`: the local SQLite file for cursors and detector state (optional)."""
        self.config = config
        self.name = f"elasticsearch:{config.signals_prefix}"
        self.state_path = Path(state_path) if state_path is not None else None
        self.client = client
        self.signals: ElasticsearchSink | None = None
        self.alerts: ElasticsearchSink | None = None
        self.deadletters: ElasticsearchSink | None = None
        self.state: Any = None

    def open(self) -> "EsSink":
        """Start the senders and open the local state file."""
        if self.signals is None:
            self.signals = ElasticsearchSink(self.config, client=self.client)
            self.alerts = ElasticsearchSink(self.config, "alerts", client=self.client)
            self.deadletters = ElasticsearchSink(self.config, "deadletters", client=self.client)
            if self.state_path is not None:
                from pipeline.sinks.sqlite.sink import SqliteSink

                self.state = SqliteSink(self.state_path).open()
        return self

    def _senders(self) -> tuple[ElasticsearchSink, ElasticsearchSink, ElasticsearchSink]:
        """The three senders (started on first use)."""
        self.open()
        assert self.signals is not None and self.alerts is not None and self.deadletters is not None
        return self.signals, self.alerts, self.deadletters

    def load_cursor(self, source: str) -> dict[str, Any] | None:
        """The cursor committed locally with the last batch Elasticsearch stored."""
        self.open()
        return self.state.load_cursor(source) if self.state is not None else None

    def write(self, batch: SinkBatch) -> list[DeadLetter]:
        """Index the batch and wait until Elasticsearch has it, then commit the cursor locally; return refusals."""
        signals, alerts, deadletters = self._senders()
        refused: list[DeadLetter] = []
        if batch.docs:
            refused += signals.write(batch.docs)
        if batch.alerts:
            refused += alerts.write(alert_documents(batch.alerts))
        if batch.dead:
            refused += deadletters.write([deadletter_document(letter) for letter in batch.dead])
        refused += self.flush()
        if self.state is not None and batch.cursor is not None:
            self.state.write(SinkBatch(cursor=batch.cursor))
        return refused

    def flush(self) -> list[DeadLetter]:
        """Wait until every document written so far is indexed or dead-lettered."""
        dead: list[DeadLetter] = []
        for sender in (self.signals, self.alerts, self.deadletters):
            if sender is not None:
                dead += sender.flush()
        return dead

    def load_state(self, name: str = "detector") -> dict[str, Any] | None:
        """The detector snapshot from the local state file (None without one)."""
        self.open()
        return self.state.load_state(name) if self.state is not None else None

    def save_state(self, state: dict[str, Any], name: str = "detector") -> None:
        """Keep the detector snapshot in the local state file (skipped without one)."""
        self.open()
        if self.state is not None:
            self.state.save_state(state, name)

    def signals_after(self, ts: float) -> list[dict[str, Any]]:
        """Signals live in Elasticsearch, not in the local file: nothing to catch up on locally."""
        return []

    def close(self) -> None:
        """Flush and stop the senders; close the state file."""
        for sender in (self.signals, self.alerts, self.deadletters):
            if sender is not None:
                for letter in sender.close(timeout=30):
                    log.error("not indexed at shutdown: %s", letter.reason)
        if self.state is not None:
            self.state.close()
        self.signals = self.alerts = self.deadletters = self.state = None

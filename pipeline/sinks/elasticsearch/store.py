"""Lets the local runner write to Elasticsearch while cursors and dead letters stay in a local SQLite file."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from pipeline.sinks.elasticsearch.sink import ElasticsearchSink
from pipeline.sinks.sqlite.store import SqliteStore
from pipeline.core.signal import DeadLetter


class EsBackedStore:
    """Store interface of the runner: docs are flushed to Elasticsearch before the cursor moves.

    At-least-once delivery plus the signal id as `_id` gives exactly once in the index.
    """

    def __init__(self, sink: ElasticsearchSink, state_path: str | Path) -> None:
        self.sink = sink
        self.state = SqliteStore(state_path)

    def load_cursor(self, source: str) -> dict[str, Any] | None:
        """The cursor last committed for `source`."""
        return self.state.load_cursor(source)

    def write(self, source: str | None, cursor: dict[str, Any] | None, docs: Iterable[dict[str, Any]],
              dead: Iterable[DeadLetter] = ()) -> None:
        """Index docs, wait until Elasticsearch has them, then commit cursor and dead letters locally."""
        failed = self.sink.write(list(docs))
        failed += self.sink.flush()
        self.state.write(source, cursor, [], list(dead) + failed)

    def count(self) -> int:
        """Signals are counted in Elasticsearch, not here."""
        return 0

    def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """Recent dead letters (local)."""
        return self.state.dead_letters(limit)

    def close(self) -> None:
        """Flush and close the sink and the state file."""
        self.sink.close()
        self.state.close()

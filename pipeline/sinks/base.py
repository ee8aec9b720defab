"""The one sink contract both runners write through: a batch in, the dead letters of what could not be stored out.

A batch carries enriched documents, dead letters, the alert events the runner's detector raised, and
optionally the source cursor to commit with them. A sink stores signals by id and alerts by alert id, so
a re-delivered batch overwrites itself. Sinks never run the spike detector; runners feed it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence, runtime_checkable

from pipeline.alerts.model import AlertEvent
from pipeline.core.signal import DeadLetter


@dataclass(slots=True)
class SourceCursor:
    """Where a source resumes after the batch: committed with the batch by sinks that can."""

    source: str
    position: dict[str, Any]


@dataclass(slots=True)
class SinkBatch:
    """What a runner hands a sink at once: documents, dead letters, alert events and the cursor after them.

    `encoded`, optional: each document's compact JSON in the order of `docs`, when the runner has it already.
    """

    docs: list[dict[str, Any]] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    alerts: list[AlertEvent] = field(default_factory=list)
    cursor: SourceCursor | None = None
    encoded: Sequence[str] | None = None

    def __bool__(self) -> bool:
        """True when there is anything to store."""
        return bool(self.docs or self.dead or self.alerts or self.cursor)


@runtime_checkable
class Sink(Protocol):
    """Where enriched signals, dead letters and alerts are stored."""

    name: str
    # True when a write waits on the network (an asyncio runner calls it in a thread); False for a short
    # local transaction.
    blocking: bool

    def open(self) -> None:
        """Create what the sink needs (tables, connections); safe to call from several processes at once."""
        ...

    def load_cursor(self, source: str) -> dict[str, Any] | None:
        """The cursor last committed for `source` (None when the sink keeps none or never saw it)."""
        ...

    def write(self, batch: SinkBatch) -> list[DeadLetter]:
        """Store the batch durably before returning; return what can never be stored. Raise to have it retried."""
        ...

    def flush(self) -> list[DeadLetter]:
        """Wait until everything written is stored; return dead letters found meanwhile."""
        ...

    def close(self) -> None:
        """Flush and release connections."""
        ...


class DetectorStateStore(Protocol):
    """Where a runner keeps its spike detector's snapshot between runs (a sink may offer this too)."""

    def load_state(self, name: str = "detector") -> dict[str, Any] | None:
        """The last saved snapshot, or None."""
        ...

    def save_state(self, state: dict[str, Any], name: str = "detector") -> None:
        """Persist a snapshot."""
        ...


def fingerprinted(source: str, position: str, reason: str, raw: bytes | str | None) -> DeadLetter:
    """A dead letter that keeps only the byte length and sha256 of the raw record, never its content
    (raw input may hold personal data)."""
    data = raw.encode("utf-8", errors="surrogatepass") if isinstance(raw, str) else bytes(raw or b"")
    return DeadLetter(source=source, position=position, reason=reason, raw="", raw_bytes=len(data),
                      raw_sha256=hashlib.sha256(data).hexdigest())


class NullSink:
    """Discards everything (enrichment and alerts only)."""

    name = "none"
    blocking = False

    def open(self) -> None:
        """Nothing to create."""

    def load_cursor(self, source: str) -> dict[str, Any] | None:
        """No cursors kept."""
        return None

    def write(self, batch: SinkBatch) -> list[DeadLetter]:
        """Nothing to do."""
        return []

    def flush(self) -> list[DeadLetter]:
        """Nothing to wait for."""
        return []

    def close(self) -> None:
        """Nothing to release."""

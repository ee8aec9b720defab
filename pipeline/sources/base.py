"""What every source yields: batches of parsed signals and dead letters, plus the cursor after them."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator, Protocol

from pipeline.core.signal import RawSignal

MAX_DEAD_RAW_CHARS = 65_536


@dataclass(slots=True)
class DeadLetter:
    """A record that could not be processed, kept with the reason and where it came from."""

    source: str
    position: str
    reason: str
    raw: str
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @classmethod
    def of(cls, source: str, position: str, reason: str, raw: bytes | str) -> "DeadLetter":
        """Build a dead letter, decoding bytes leniently and truncating very large records."""
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        if len(text) > MAX_DEAD_RAW_CHARS:
            text = text[:MAX_DEAD_RAW_CHARS] + f"... [truncated, {len(text)} characters in all]"
        return cls(source=source, position=position, reason=reason, raw=text)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {"source": self.source, "position": self.position, "reason": self.reason,
                "raw": self.raw, "at": self.at.isoformat()}


@dataclass(slots=True)
class SourceBatch:
    """Signals and dead letters read since the previous batch, and the cursor to resume after them.

    `received` holds, per signal, the monotonic time it entered the pipeline (for latency).
    An empty batch is a heartbeat: the source is alive but has nothing new.
    """

    signals: list[RawSignal]
    dead: list[DeadLetter]
    cursor: dict[str, Any]
    received: list[float] = field(default_factory=list)


class Source(Protocol):
    """A resumable source of raw signals."""

    name: str

    def batches(self, cursor: dict[str, Any] | None, stop: threading.Event) -> Iterator[SourceBatch]:
        """Yield batches starting after `cursor` (None: from the start) until exhausted or `stop` is set."""
        ...

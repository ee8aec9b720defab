"""What a run did so far: counts and per-signal latency, kept by both runners."""
from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class RunStats:
    """What a run did: counts and the per-signal latency from entering the runner to being queryable."""

    signals: int = 0
    dead: int = 0
    batches: int = 0
    started: float = field(default_factory=time.monotonic)
    latencies: list[float] = field(default_factory=list)

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.started

"""A clock for connector tests: waits return at once and only move virtual time, and are recorded."""
from __future__ import annotations

import threading
import time

from pipeline.sources.connectors.http_client import Clock


class FakeClock(Clock):
    """Starts at the real wall time; `wait` advances virtual time instead of sleeping."""

    def __init__(self) -> None:
        """Start at the current wall time with no waits recorded."""
        self.now = time.time()
        self.waits: list[float] = []

    def time(self) -> float:
        """Virtual epoch seconds."""
        return self.now

    def monotonic(self) -> float:
        """Virtual monotonic seconds."""
        return self.now

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Record the wait, move time forward, return whether `stop` is set."""
        self.waits.append(seconds)
        self.now += seconds
        return stop.is_set()

    @property
    def waited(self) -> float:
        """Total virtual seconds waited."""
        return sum(self.waits)

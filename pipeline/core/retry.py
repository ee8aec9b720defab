"""One exponential backoff for every retry loop: connectors, the Elasticsearch sink and alert notifications."""
from __future__ import annotations

import random
from dataclasses import dataclass


def exponential_delay(attempt: int, initial: float, maximum: float, factor: float = 2.0) -> float:
    """The delay before retry number `attempt` (1-based): initial, initial*factor, ... capped at `maximum`."""
    return min(maximum, initial * factor ** max(0, attempt - 1))


@dataclass
class Backoff:
    """Counts failed attempts and says how long to wait before the next; `reset()` after a success.

    `jitter` takes up to that share off each delay at random (0.2: up to 20 % shorter), so that many
    clients failing together do not retry together. With `max_retries` set, `exhausted()` says when to give up.
    """

    initial: float = 1.0
    maximum: float = 300.0
    factor: float = 2.0
    jitter: float = 0.0
    max_retries: int | None = None
    attempts: int = 0

    def next_delay(self) -> float:
        """Count one failed attempt and return how long to wait before the next one."""
        self.attempts += 1
        delay = exponential_delay(self.attempts, self.initial, self.maximum, self.factor)
        return delay * (1 - self.jitter * random.random()) if self.jitter else delay

    def exhausted(self) -> bool:
        """True when the retries allowed are used up (never when max_retries is None)."""
        return self.max_retries is not None and self.attempts > self.max_retries

    def reset(self) -> None:
        """Start counting again."""
        self.attempts = 0

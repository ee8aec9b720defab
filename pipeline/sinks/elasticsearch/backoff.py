"""Exponential backoff with a cap and jitter, and the retry budget that decides when to give up."""
from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass
class Backoff:
    """Delays initial, 2*initial, 4*initial ... capped at `maximum`, each with up to 20 % jitter."""

    initial: float
    maximum: float
    max_retries: int | None
    jitter: float = 0.2
    attempts: int = 0

    def exhausted(self) -> bool:
        """True when the retries allowed are used up (never when max_retries is None)."""
        return self.max_retries is not None and self.attempts > self.max_retries

    def next_delay(self) -> float:
        """Count one failed attempt and return how long to wait before the next one."""
        self.attempts += 1
        base = min(self.maximum, self.initial * (2 ** (self.attempts - 1)))
        return base * (1 - self.jitter * random.random())

    def reset(self) -> None:
        """Start counting again (after a successful request)."""
        self.attempts = 0

"""Login throttling per account and per client address: growing back-off after a few failures, then a lock."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True, slots=True)
class Limits:
    """When one key (an account or an address) is slowed down and locked."""

    free: int          # failures allowed before any back-off
    lock_after: int    # failures that lock the key for `lock_seconds`
    lock_seconds: float = 900.0
    max_backoff: float = 300.0
    forget_seconds: float = 3_600.0  # failures older than this (since the last one) are forgotten


ACCOUNT_LIMITS = Limits(free=3, lock_after=10)
ADDRESS_LIMITS = Limits(free=10, lock_after=30)
MAX_KEYS = 100_000


@dataclass(slots=True)
class _Record:
    """Failures of one key and until when it must wait."""

    failures: int = 0
    last: float = 0.0
    blocked_until: float = 0.0


class LoginThrottle:
    """Counts failed logins per account name and per address; `wait` says how long a key must still wait."""

    def __init__(self, account: Limits = ACCOUNT_LIMITS, address: Limits = ADDRESS_LIMITS,
                 clock: Callable[[], float] | None = None, max_keys: int = MAX_KEYS) -> None:
        """Throttle with the given limits (clock: monotonic seconds)."""
        self.limits = {"account": account, "address": address}
        self._clock = clock or time.monotonic
        self._records: dict[tuple[str, str], _Record] = {}
        self._max_keys = max_keys
        self._lock = threading.Lock()

    def wait(self, account: str, address: str) -> float:
        """Seconds before this account from this address may try again (0 when it may try now)."""
        now = self._clock()
        with self._lock:
            return max(self._remaining(("account", account), now), self._remaining(("address", address), now))

    def failure(self, account: str, address: str, checked: bool = True) -> bool:
        """Record a wrong password (or, unchecked, an attempt made while throttled, which counts towards the lock
        but not the back-off); True when this failure locked the account or the address."""
        now = self._clock()
        locked = False
        with self._lock:
            for key in (("account", account), ("address", address)):
                limits = self.limits[key[0]]
                record = self._record(key, now)
                record.failures += 1
                record.last = now
                if record.failures >= limits.lock_after:
                    record.blocked_until = now + limits.lock_seconds
                    locked = locked or record.failures == limits.lock_after
                elif checked and record.failures > limits.free:
                    delay = min(2.0 ** (record.failures - limits.free - 1), limits.max_backoff)
                    record.blocked_until = now + delay
        return locked

    def success(self, account: str) -> None:
        """A correct login clears the account's failures (the address keeps its own)."""
        with self._lock:
            self._records.pop(("account", account), None)

    def _record(self, key: tuple[str, str], now: float) -> _Record:
        """The record of `key`, fresh when its failures are old (caller holds the lock)."""
        record = self._records.get(key)
        limits = self.limits[key[0]]
        if record is None or (now - record.last > limits.forget_seconds and now >= record.blocked_until):
            if len(self._records) >= self._max_keys:
                self._evict(now)
            record = self._records[key] = _Record()
        return record

    def _remaining(self, key: tuple[str, str], now: float) -> float:
        """Seconds `key` is still blocked (caller holds the lock)."""
        record = self._records.get(key)
        return max(0.0, record.blocked_until - now) if record is not None else 0.0

    def _evict(self, now: float) -> None:
        """Make room: drop keys that are not blocked, oldest first; blocked keys stay."""
        for key in [k for k, r in self._records.items() if r.blocked_until <= now][: max(1, self._max_keys // 10)]:
            del self._records[key]

"""Retention of the local store: signals and dead letters older than the set period are deleted.

The age counts from when the pipeline stored a signal (`stored_at`), so replaying an old archive does not
delete it on arrival; Elasticsearch's lifecycle policy counts from the index's creation the same way.
Hourly counts and rollups of the dashboard are aggregates without personal data: a purge takes the purged signals
out of them (and out of the text index, terms, flags and dossier membership) in the same transaction.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Protocol

log = logging.getLogger(__name__)

DAY = 86_400.0
CHECK_EVERY_SECONDS = 3_600.0


@dataclass(frozen=True)
class PurgeResult:
    """What one purge removed."""

    signals: int
    dead_letters: int
    cutoff: datetime


def cutoff_for(days: float, now: float | None = None) -> float:
    """The epoch second before which stored records are older than `days`."""
    if days <= 0:
        raise ValueError(f"retention must be a positive number of days, got {days}")
    return (time.time() if now is None else now) - days * DAY


class PurgeableStore(Protocol):
    """A store that can delete what was stored before an epoch second (SqliteStore)."""

    def purge(self, before: float) -> PurgeResult: ...


class RetentionTimer:
    """Purges a store at most once per `every` seconds; the runner calls `maybe_purge` after each batch."""

    def __init__(self, days: float, every: float = CHECK_EVERY_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """`days` is the retention period; 0 or less switches retention off."""
        self.days = days
        self.every = every
        self._clock = clock
        self._last: float | None = None

    def maybe_purge(self, store: PurgeableStore) -> PurgeResult | None:
        """Purge `store` (a SqliteStore) when retention is on and the last purge is older than `every`."""
        if self.days <= 0:
            return None
        now = self._clock()
        if self._last is not None and now - self._last < self.every:
            return None
        self._last = now
        try:
            result = store.purge(cutoff_for(self.days))
        except Exception:  # noqa: BLE001 - a failed purge is retried later and never stops the pipeline
            log.exception("retention purge failed; retrying in %.0f s", self.every)
            return None
        if result.signals or result.dead_letters:
            log.info("retention: removed %d signals and %d dead letters stored before %s",
                     result.signals, result.dead_letters, result.cutoff.isoformat())
        return result

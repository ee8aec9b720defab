"""Review periods: whole UTC days ending with the day of the newest search, and the period before."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from pipeline.core.timeutil import iso  # noqa: F401 - re-exported for the review modules

DAY = 86_400
WINDOWS: dict[str, int] = {"1d": 1, "7d": 7, "28d": 28, "90d": 90, "365d": 365}
DEFAULT_WINDOW = "7d"


@dataclass(frozen=True, slots=True)
class SearchPeriod:
    """[start, end) in unix seconds plus the previous period of the same length [previous_start, start)."""

    window: str
    start: float
    end: float

    @property
    def previous_start(self) -> float:
        """Start of the period before this one."""
        return self.start - (self.end - self.start)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {"window": self.window, "start": iso(self.start), "end": iso(self.end),
                "previous_start": iso(self.previous_start), "days": round((self.end - self.start) / DAY)}


def parse_end_day(value: str | None) -> float | None:
    """An end day "YYYY-MM-DD" (inclusive) as the unix time of the following midnight UTC; None if empty."""
    if value is None or not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"end must be a date YYYY-MM-DD, got {value[:20]!r}") from None
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp() + DAY


def search_period(window: str, anchor: float, end: float | None = None) -> SearchPeriod:
    """The period `window` ending at `end`, or at the end of the UTC day holding `anchor` (the newest search)."""
    if window not in WINDOWS:
        raise ValueError(f"unknown period {window!r}; expected one of {', '.join(WINDOWS)}")
    stop = end if end is not None else (math.floor(anchor / DAY) + 1) * DAY
    return SearchPeriod(window, stop - WINDOWS[window] * DAY, stop)

"""Trend of a search group: new, rising, steady or falling, comparing a period with the one before it."""
from __future__ import annotations

RISE_FACTOR = 1.5
MIN_CHANGE = 3
TRENDS: tuple[str, ...] = ("new", "rising", "steady", "falling")


def classify_trend(current: int, previous: int, first_seen: float | None, period_start: float) -> str:
    """The trend label for counts in this and the previous period.

    new: the group was first seen inside this period; rising: at least RISE_FACTOR times the previous
    count and at least MIN_CHANGE more; falling: the previous count was at least RISE_FACTOR times
    this one and at least MIN_CHANGE more; steady otherwise.
    """
    if first_seen is not None and first_seen >= period_start:
        return "new"
    if current >= RISE_FACTOR * previous and current - previous >= MIN_CHANGE:
        return "rising"
    if previous >= RISE_FACTOR * current and previous - current >= MIN_CHANGE:
        return "falling"
    return "steady"

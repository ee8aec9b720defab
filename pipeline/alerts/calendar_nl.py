"""Local time slots for baselines: day of week (public holidays count as Sunday) and hour of day."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)

SUNDAY = 6


def easter_sunday(year: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the names of the Easter algorithm
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return date(year, month, day)


@lru_cache(maxsize=64)
def dutch_public_holidays(year: int) -> frozenset[date]:
    """National holidays when municipal offices close (Liberation Day only in lustrum years)."""
    easter = easter_sunday(year)
    kings_day = date(year, 4, 27)
    if kings_day.weekday() == SUNDAY:
        kings_day = date(year, 4, 26)
    days = {
        date(year, 1, 1), easter + timedelta(days=1), kings_day,
        easter + timedelta(days=39), easter + timedelta(days=50), date(year, 12, 25), date(year, 12, 26),
    }
    if year % 5 == 0:
        days.add(date(year, 5, 5))
    return frozenset(days)


def load_zone(name: str) -> tzinfo:
    """The named time zone, or UTC with a warning when the zone database lacks it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("time zone %r not available; baselines use UTC hours", name)
        return timezone.utc


def is_midnight(moment: datetime) -> bool:
    """True when `moment` is exactly 00:00:00.000000 on its own clock: what a source that keeps only the date
    writes."""
    return not (moment.hour or moment.minute or moment.second or moment.microsecond)


class SlotClock:
    """Maps an event time to (day, hour) in local time, where day 0-6 is Monday-Sunday and holidays are 6."""

    def __init__(self, zone: str = "Europe/Amsterdam", holidays: str | list[str] = "nl") -> None:
        """Use time zone `zone` and the holidays: "nl" for the Dutch calendar or a list of ISO dates."""
        self.zone = load_zone(zone)
        self.use_dutch = holidays == "nl"
        self.extra: frozenset[date] = frozenset()
        if not self.use_dutch and isinstance(holidays, (list, tuple)):
            parsed = set()
            for item in holidays:
                try:
                    parsed.add(date.fromisoformat(str(item)))
                except ValueError:
                    log.warning("alerts.holidays: %r is not an ISO date; ignored", item)
            self.extra = frozenset(parsed)

    def is_holiday(self, day: date) -> bool:
        """True for a public holiday under the configured calendar."""
        if self.use_dutch:
            return day in dutch_public_holidays(day.year)
        return day in self.extra

    def is_local_midnight(self, ts: float) -> bool:
        """True when the epoch time `ts` is exactly 00:00:00 in local time."""
        return is_midnight(datetime.fromtimestamp(ts, self.zone))

    def slot(self, moment: datetime) -> tuple[int, int]:
        """(day, hour) of `moment` in local time."""
        local = moment.astimezone(self.zone)
        day = SUNDAY if self.is_holiday(local.date()) else local.weekday()
        return day, local.hour

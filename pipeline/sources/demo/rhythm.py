"""When demo signals arrive: channel shares, the daily and weekly rhythm, spikes and Poisson arrivals."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Iterator, Sequence
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Europe/Amsterdam")
CHANNEL_SHARES: dict[str, float] = {"twitter": 0.30, "facebook": 0.20, "call_note": 0.20, "site_search": 0.30}
PROFILE_OF: dict[str, str] = {"twitter": "social", "facebook": "social", "call_note": "calls",
                              "site_search": "search"}
# Relative activity per local hour 0..23 on a working day.
HOURLY: dict[str, tuple[float, ...]] = {
    "social": (0.25, 0.15, 0.10, 0.08, 0.08, 0.15, 0.40, 0.90, 1.50, 1.60, 1.40, 1.30,
               1.30, 1.20, 1.20, 1.30, 1.40, 1.50, 1.60, 1.80, 1.90, 1.70, 1.20, 0.60),
    "search": (0.15, 0.08, 0.05, 0.05, 0.05, 0.10, 0.30, 0.90, 1.70, 1.90, 1.80, 1.60,
               1.40, 1.50, 1.60, 1.50, 1.30, 1.20, 1.30, 1.50, 1.50, 1.20, 0.70, 0.35),
    # Call notes mostly while the contact centre is open (8:00-17:00); outside those hours a few from
    # the out-of-hours line (calamiteitennummer) that also takes weekend calls.
    "calls": (0.03, 0.02, 0.02, 0.02, 0.02, 0.03, 0.05, 0.10, 1.40, 1.60, 1.50, 1.30,
              0.80, 1.20, 1.20, 1.10, 0.90, 0.10, 0.08, 0.08, 0.06, 0.05, 0.04, 0.03),
}
WEEKEND_FACTOR: dict[str, float] = {"social": 0.85, "search": 0.60, "calls": 0.08}
SPIKE_SHARE = 0.10
SPIKE_DURATION = timedelta(hours=1)
SPIKE_LOCAL_HOUR = 15


def _raw_profile(kind: str, weekday: int, hour: int) -> float:
    """Unnormalised activity of a channel kind at a weekday (0 = Monday) and local hour."""
    factor = WEEKEND_FACTOR[kind] if weekday >= 5 else 1.0
    return HOURLY[kind][hour] * factor


def _weekly_table() -> tuple[tuple[dict[str, float], ...], float]:
    """Per hour of the week (168 entries) the rate of each channel, scaled so the weekly mean total is 1."""
    means = {kind: sum(_raw_profile(kind, d, h) for d in range(7) for h in range(24)) / 168 for kind in HOURLY}
    table = tuple(
        {channel: share * _raw_profile(PROFILE_OF[channel], day, hour) / means[PROFILE_OF[channel]]
         for channel, share in CHANNEL_SHARES.items()}
        for day in range(7) for hour in range(24))
    peak = max(sum(rates.values()) for rates in table)
    return table, peak


WEEK_TABLE, PEAK_INTENSITY = _weekly_table()
WEEK_TOTALS: tuple[float, ...] = tuple(sum(rates.values()) for rates in WEEK_TABLE)


@lru_cache(maxsize=8192)
def _hour_slot(utc_hour: int) -> int:
    """The hour of the local week (0..167) for an hour counted in UTC since the epoch.

    Caching by UTC hour is exact because Amsterdam's offset changes only on whole UTC hours.
    """
    local = datetime.fromtimestamp(utc_hour * 3600, timezone.utc).astimezone(LOCAL_ZONE)
    return local.weekday() * 24 + local.hour


def channel_rates(moment: datetime) -> dict[str, float]:
    """Relative rate per channel at `moment` (the sum averages 1 over a week)."""
    return WEEK_TABLE[_hour_slot(int(moment.timestamp() // 3600))]


def intensity(moment: datetime) -> float:
    """The total relative rate at `moment`: above 1 at busy hours, far below 1 at night."""
    return WEEK_TOTALS[_hour_slot(int(moment.timestamp() // 3600))]


def history_spike(start: datetime, end: datetime) -> datetime | None:
    """The spike start in a history window: yesterday 15:00 local (relative to `end`), else the latest that fits."""
    local_end = end.astimezone(LOCAL_ZONE)
    for days_back in (1, 0, 2, 3, 4, 5, 6):
        day = (local_end - timedelta(days=days_back)).date()
        candidate = datetime(day.year, day.month, day.day, SPIKE_LOCAL_HOUR, tzinfo=LOCAL_ZONE)
        if candidate >= start and candidate + SPIKE_DURATION <= end:
            return candidate
    return None


def first_spike_after(start: datetime) -> datetime:
    """The first 15:00 local at or after `start` (the default spike of an open-ended generation)."""
    local = start.astimezone(LOCAL_ZONE)
    candidate = datetime(local.year, local.month, local.day, SPIKE_LOCAL_HOUR, tzinfo=LOCAL_ZONE)
    return candidate if candidate >= start else candidate + timedelta(days=1)


def in_spike(moment: datetime, spikes: Sequence[datetime]) -> bool:
    """True while `moment` lies inside one of the spike windows."""
    return any(begin <= moment < begin + SPIKE_DURATION for begin in spikes)


def arrivals(start: datetime, end: datetime | None, per_hour: float, spikes: Sequence[datetime],
             rng: random.Random) -> Iterator[tuple[datetime, bool]]:
    """Poisson arrivals whose rate follows the rhythm (by thinning); yields (moment, inside a spike)."""
    if per_hour <= 0:
        return
    base = per_hour / 3600.0
    ceiling = base * PEAK_INTENSITY * (1 + SPIKE_SHARE)
    current = start.timestamp()
    stop_at = None if end is None else end.timestamp()
    while True:
        current += rng.expovariate(ceiling)
        if stop_at is not None and current >= stop_at:
            return
        moment = datetime.fromtimestamp(int(current), timezone.utc)
        spiking = in_spike(moment, spikes)
        rate = base * intensity(moment) * (1 + SPIKE_SHARE if spiking else 1)
        if rng.random() * ceiling < rate:
            yield moment, spiking

"""Match alert openings to injected spikes: detection rate, detection delay and false alarms per week."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pipeline.alerts.evaluation.synthetic import Spike


@dataclass(slots=True)
class Opening:
    """One alert episode as seen by the evaluation: its topic and when it was raised (event time)."""

    topic: str
    raised_at: datetime
    trigger: str = "volume"


@dataclass(slots=True)
class CellScore:
    """Figures for one group of spikes (e.g. all 3x spikes)."""

    spikes: int = 0
    detected: int = 0
    delays_min: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Share of spikes detected."""
        return self.detected / self.spikes if self.spikes else 0.0

    @property
    def median_delay(self) -> float | None:
        """Median minutes from spike start to the alert, over detected spikes."""
        return statistics.median(self.delays_min) if self.delays_min else None


@dataclass(slots=True)
class MethodScore:
    """All figures for one detection method."""

    name: str
    by_size: dict[float, CellScore]
    by_cell: dict[tuple[float, str], CellScore]
    false_alarms: int
    weeks: float
    detected_by: dict[str, int] = field(default_factory=dict)

    @property
    def false_per_week(self) -> float:
        """False alarms per week of evaluated stream."""
        return self.false_alarms / self.weeks if self.weeks else 0.0


def score(name: str, spikes: list[Spike], openings: list[Opening], period_start: datetime, period_end: datetime,
          grace_minutes: float = 30.0) -> MethodScore:
    """A spike counts as detected when an alert on its topic is raised between its start and end + grace;
    any alert raised in the period that matches no spike is a false alarm."""
    grace = timedelta(minutes=grace_minutes)
    by_size: dict[float, CellScore] = {}
    by_cell: dict[tuple[float, str], CellScore] = {}
    matched: set[int] = set()
    detected_by: dict[str, int] = {}
    for spike in spikes:
        hits = [i for i, o in enumerate(openings)
                if o.topic == spike.topic and spike.start <= o.raised_at <= spike.end + grace]
        for cell in (by_size.setdefault(spike.size, CellScore()), by_cell.setdefault((spike.size, spike.shape), CellScore())):
            cell.spikes += 1
            if hits:
                cell.detected += 1
                first = min(openings[i].raised_at for i in hits)
                cell.delays_min.append((first - spike.start).total_seconds() / 60)
        if hits:
            trigger = min((openings[i] for i in hits), key=lambda o: o.raised_at).trigger
            detected_by[trigger] = detected_by.get(trigger, 0) + 1
        matched.update(hits)
    false = sum(1 for i, o in enumerate(openings)
                if i not in matched and period_start <= o.raised_at < period_end)
    weeks = (period_end - period_start).total_seconds() / (7 * 86400)
    return MethodScore(name=name, by_size=by_size, by_cell=by_cell, false_alarms=false, weeks=weeks,
                       detected_by=detected_by)

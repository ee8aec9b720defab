"""Labelled real series from the Numenta Anomaly Benchmark (NAB, MIT licence), replayed as the signals of one
topic, and event-level scoring against their labelled anomaly windows.

The data is never shipped or downloaded by the package: pass the folder of a NAB checkout (it holds `data/`
and `labels/combined_windows.json`). Each series is turned into counts by scaling it so its median sample
holds `rate` signals per 5 minutes; the signals of a sample are spread evenly over its interval. A spike
detector looks for rises, so a labelled window is a target only when the series rises in it (its peak is at
least `RISE_FACTOR` times the median of the day before); alerts inside any labelled window are not false."""
from __future__ import annotations

import csv
import io
import json
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

SETS = ("realTraffic", "realKnownCause", "realAdExchange")
EXCLUDED = ("realTweets",)      # kept aside for checking; never read here
RISE_FACTOR = 1.5
MAX_GAP_SAMPLES = 3.0           # a sample covers at most this many median intervals (longer: a gap)
SCORE_AFTER = timedelta(days=1)  # the first day is warm-up for every method: neither found nor false there
MERGE_WITHIN = timedelta(hours=1)  # alerts raised within an hour of the previous one are one event


@dataclass(slots=True)
class Series:
    """One labelled series as (time, count) samples, with its windows and which of them are rises."""

    name: str
    times: list[datetime]
    values: list[float]
    spans: list[float]          # seconds each sample covers (up to the next one, a gap excluded)
    counts: list[int]
    windows: list[tuple[datetime, datetime]]
    rises: list[bool] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        """Time of the first sample."""
        return self.times[0]

    @property
    def end(self) -> datetime:
        """End of the last sample."""
        return self.times[-1] + self.interval

    @property
    def interval(self) -> timedelta:
        """Median spacing of the samples."""
        gaps = [(b - a).total_seconds() for a, b in zip(self.times, self.times[1:])]
        return timedelta(seconds=statistics.median(gaps) if gaps else 300)


def _parse(stamp: str) -> datetime:
    """A NAB timestamp (naive, read as UTC)."""
    return datetime.fromisoformat(stamp.strip()).replace(tzinfo=timezone.utc)


def read_csv(text: str) -> tuple[list[datetime], list[float]]:
    """Timestamps and values of a NAB data file."""
    rows = list(csv.reader(io.StringIO(text)))
    times, values = [], []
    for row in rows[1:]:
        if len(row) >= 2 and row[1].strip():
            times.append(_parse(row[0]))
            values.append(float(row[1]))
    return times, values


def sample_spans(times: list[datetime]) -> list[float]:
    """Seconds each sample covers: up to the next sample, at most MAX_GAP_SAMPLES median intervals."""
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    step = statistics.median(gaps) if gaps else 300.0
    return [min(g, MAX_GAP_SAMPLES * step) for g in gaps] + [step]


def to_counts(values: list[float], spans: list[float], rate: float) -> list[int]:
    """Signals per sample: the value read as a rate, scaled so the median value gives `rate` signals per
    5 minutes, times the time the sample covers (so sampling density does not look like volume); fractions
    are carried to the next sample."""
    positive = [v for v in values if v > 0]
    scale = rate / (statistics.median(positive) if positive else 1.0)
    counts, carry = [], 0.0
    for value, span in zip(values, spans):
        exact = max(0.0, value) * scale * span / 300.0 + carry
        count = int(exact)
        carry = exact - count
        counts.append(count)
    return counts


def mark_rises(series: Series) -> list[bool]:
    """Per window: does the series peak in it at RISE_FACTOR times the median of the preceding day or more."""
    out = []
    for start, end in series.windows:
        inside = [v for t, v in zip(series.times, series.values) if start <= t <= end]
        before = [v for t, v in zip(series.times, series.values) if start - timedelta(days=1) <= t < start]
        if not inside or not before:
            out.append(False)
            continue
        out.append(max(inside) >= RISE_FACTOR * max(statistics.median(before), 1e-9))
    return out


def load_set(root: Path, name: str, rate: float = 4.0) -> list[Series]:
    """Every series of one NAB data set under `root`, with its labelled windows."""
    if name in EXCLUDED or name not in SETS:
        raise ValueError(f"NAB set {name!r} is not one of {SETS}")
    labels = json.loads((root / "labels" / "combined_windows.json").read_text())
    out = []
    for path in sorted((root / "data" / name).glob("*.csv")):
        times, values = read_csv(path.read_text())
        if len(times) < 2:
            continue
        key = f"{name}/{path.name}"
        windows = [(_parse(a), _parse(b)) for a, b in labels.get(key, [])]
        spans = sample_spans(times)
        series = Series(name=key, times=times, values=values, spans=spans, counts=to_counts(values, spans, rate),
                        windows=windows)
        series.rises = mark_rises(series)
        out.append(series)
    return out


def available(root: Path | None) -> bool:
    """True when `root` looks like a NAB checkout with the sets used here."""
    return root is not None and (root / "labels" / "combined_windows.json").is_file() and all(
        (root / "data" / s).is_dir() for s in SETS)


def series_docs(series: Series, topic: str = "nab") -> list[dict[str, Any]]:
    """The series as enriched-signal dicts of one topic, each sample's signals spread evenly over its interval."""
    docs: list[dict[str, Any]] = []
    for i, (moment, count, span) in enumerate(zip(series.times, series.counts, series.spans)):
        for j in range(count):
            ts = moment + timedelta(seconds=span * (j + 0.5) / count)
            docs.append({"id": f"twitter:{i}-{j}", "channel": "twitter", "created_at": ts.isoformat(),
                         "text": "", "topic": {"code": topic}, "sentiment": {"label": "neutral"},
                         "keywords": []})
    return docs


@dataclass(slots=True)
class EventScore:
    """Event-level figures of one method on one data set."""

    name: str
    windows: int = 0
    found: int = 0
    false_alarms: int = 0
    weeks: float = 0.0
    delays_min: list[float] = field(default_factory=list)

    @property
    def false_per_week(self) -> float:
        """False alarms per week of scored series."""
        return self.false_alarms / self.weeks if self.weeks else 0.0

    @property
    def median_delay(self) -> float | None:
        """Median minutes from window start to the first alert in it."""
        return statistics.median(self.delays_min) if self.delays_min else None

    def add(self, other: "EventScore") -> None:
        """Fold another score (of another series) into this one."""
        self.windows += other.windows
        self.found += other.found
        self.false_alarms += other.false_alarms
        self.weeks += other.weeks
        self.delays_min += other.delays_min


def merge_events(raised: list[datetime], within: timedelta = MERGE_WITHIN) -> list[datetime]:
    """Alert times as events: an alert raised within `within` of the previous alert belongs to its event (the
    event-level definition the published detectors are scored with: crossings within an hour count once)."""
    events: list[datetime] = []
    last: datetime | None = None
    for moment in sorted(raised):
        if last is None or moment - last > within:
            events.append(moment)
        last = moment
    return events


def score_series(name: str, series: Series, raised: list[datetime]) -> EventScore:
    """Windows found (an alert raised inside a rise window) and false alarms (alert events, merged within an
    hour, that start in no labelled window), both after the first day of the series."""
    begin = series.start + SCORE_AFTER
    result = EventScore(name=name, weeks=max(0.0, (series.end - begin).total_seconds() / (7 * 86400)))
    for (start, end), rise in zip(series.windows, series.rises):
        if not rise or end < begin:
            continue
        result.windows += 1
        hits = [t for t in raised if max(start, begin) <= t <= end]
        if hits:
            result.found += 1
            result.delays_min.append((min(hits) - start).total_seconds() / 60)
    result.false_alarms = sum(1 for t in merge_events(raised)
                              if t >= begin and not any(a <= t <= b for a, b in series.windows))
    return result

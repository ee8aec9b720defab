"""Signals that carry a date but no time of day (a source that keeps only the date stamps them at midnight):
the spike detector does not count them, so a day's reports never look like a burst in the day's first window,
and a real burst of timed reports among them still alerts."""
from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pipeline.alerts import AlertEvent, DetectorConfig, SpikeDetector
from pipeline.alerts.windows import doc_facts

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TOPICS = ("afval", "openbare_ruimte", "overlast", "parkeren", "verkeer")


def doc(sid: str, moment: datetime, topic: str, text: str = "melding") -> dict[str, Any]:
    """An enriched signal as the detector reads it."""
    return {"id": sid, "channel": "webform", "created_at": moment.isoformat(), "topic": {"code": topic},
            "sentiment": {"label": "neutral"}, "text": text, "keywords": []}


def dated_reports(days: int, seed: int = 5, utc: bool = False) -> list[dict[str, Any]]:
    """About fifty reports a day over five topics, each stamped at local midnight of its day (in UTC with `utc`)."""
    rng = random.Random(seed)
    first = datetime(2024, 6, 3, tzinfo=AMSTERDAM)
    out = []
    for day in range(days):
        midnight = first + timedelta(days=day)
        stamp = midnight.astimezone(timezone.utc) if utc else midnight
        for i in range(rng.randint(35, 65)):
            out.append(doc(f"webform:{day}-{i}", stamp, rng.choice(TOPICS)))
    return out


def roadworks_burst(start: datetime, n: int = 20) -> list[dict[str, Any]]:
    """`n` timed roadworks reports within the hour from `start`."""
    return [doc(f"webform:burst-{i}", start + timedelta(minutes=3 * i, seconds=17), "verkeer",
                "straat opgebroken, geen omleiding") for i in range(n)]


def replay(docs: list[dict[str, Any]], config: DetectorConfig) -> tuple[list[AlertEvent], SpikeDetector]:
    """Feed the docs a day at a time, in time order, then close every window."""
    detector = SpikeDetector(config)
    docs = sorted(docs, key=lambda d: datetime.fromisoformat(d["created_at"]))
    events: list[AlertEvent] = []
    day: list[dict[str, Any]] = []
    for item in docs:
        if day and item["created_at"][:10] != day[-1]["created_at"][:10]:
            events += detector.observe(day)
            day = []
        day.append(item)
    events += detector.observe(day)
    events += detector.advance(datetime.fromisoformat(docs[-1]["created_at"]) + timedelta(hours=6))
    return events, detector


def opened(events: list[AlertEvent]) -> list[AlertEvent]:
    """The alerts that opened."""
    return [e for e in events if e.kind == "opened"]


@pytest.mark.parametrize("utc", [False, True], ids=["local offset", "written in UTC"])
def test_reports_dated_to_the_day_raise_no_alert_and_a_timed_burst_among_them_still_does(utc: bool) -> None:
    burst_start = datetime(2024, 6, 19, 14, 3, tzinfo=AMSTERDAM)      # a Wednesday afternoon in week 3
    docs = dated_reports(28, utc=utc) + roadworks_burst(burst_start)
    events, detector = replay(docs, DetectorConfig())
    alerts = opened(events)
    assert [(e.alert.topic, e.alert.scope["type"]) for e in alerts] == [("verkeer", "topic")]
    assert burst_start <= alerts[0].at <= burst_start + timedelta(hours=1)
    assert detector.stats["day_only"] == len(docs) - 20 and detector.stats["counted"] == 20


def test_counting_midnight_reports_would_raise_alarms_at_midnight() -> None:
    # the same stream with the rule off: a day's reports land in its first window, which reads as a burst
    events, detector = replay(dated_reports(28), DetectorConfig(skip_day_only=False))
    assert detector.stats["day_only"] == 0
    midnight_alerts = [e for e in opened(events) if e.at.astimezone(AMSTERDAM).hour == 0]
    assert len(midnight_alerts) >= 5


def test_only_an_exact_midnight_counts_as_a_date_without_a_time(caplog: pytest.LogCaptureFixture) -> None:
    midnight = datetime(2024, 6, 4, tzinfo=AMSTERDAM)
    assert doc_facts(doc("a", midnight, "afval")).midnight
    assert not doc_facts(doc("b", midnight + timedelta(microseconds=1), "afval")).midnight
    assert not doc_facts(doc("c", midnight.astimezone(timezone.utc), "afval")).midnight   # 22:00 UTC
    detector = SpikeDetector(DetectorConfig())
    with caplog.at_level(logging.WARNING, logger="pipeline.alerts.detector"):
        detector.observe([doc("a", midnight, "afval"), doc("c", midnight.astimezone(timezone.utc), "verkeer"),
                          doc("d", midnight + timedelta(seconds=1), "afval"),
                          doc("e", midnight + timedelta(hours=1), "afval")])
    assert detector.stats["day_only"] == 2 and detector.stats["counted"] == 2
    assert "a date without a time of day" in caplog.text

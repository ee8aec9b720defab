"""Scopes as a hierarchy: one incident per burst whichever of topic, topic+channel and topic+place fire, named
after the most specific scope that explains the burst."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from pipeline.alerts import AlertEvent, DetectorConfig, SpikeDetector
from pipeline.alerts.evaluation.synthetic import Spike, StreamSpec, generate_stream
from pipeline.alerts.hierarchy import Part, explaining_part

TOPICS = {"verkeer": 0.4, "afval": 0.35, "parkeren": 0.25}


def _docs(spike: Spike, days: int = 10, seed: int = 3) -> list[dict[str, Any]]:
    spec = StreamSpec(days=days, daily_total=2000, topic_shares=dict(TOPICS), seed=seed)
    return generate_stream(spec, [spike]).docs


def _spec_start(days: int = 10, seed: int = 3) -> datetime:
    return StreamSpec(days=days, daily_total=2000, topic_shares=dict(TOPICS), seed=seed).start


def _run(docs: list[dict], config: DetectorConfig | None = None) -> list[AlertEvent]:
    detector = SpikeDetector(config or DetectorConfig())
    events: list[AlertEvent] = []
    for _, group in itertools.groupby(docs, key=lambda d: d["created_at"][:16]):
        events += detector.observe(list(group))
    events += detector.advance(datetime.fromisoformat(docs[-1]["created_at"]) + timedelta(hours=3))
    return events


def _opened_near(events: list[AlertEvent], spike: Spike, topic: str) -> list[AlertEvent]:
    return [e for e in events if e.kind == "opened" and e.alert.topic == topic
            and spike.start - timedelta(hours=1) <= e.at <= spike.end + timedelta(hours=1)]


def test_a_local_burst_is_one_incident_named_after_its_place() -> None:
    spike = Spike("verkeer", _spec_start() + timedelta(days=8, hours=10, minutes=5), "step", 4.0, 60,
                  place="Kerckebosch", local_share=0.9)
    docs = _docs(spike)
    local = [d for d in docs if d["id"].split(":", 1)[1].startswith("s")]
    assert sum(d["place"] == "Kerckebosch" for d in local) > 0.8 * len(local)   # the burst is in one place
    opened = _opened_near(_run(docs), spike, "verkeer")
    assert len(opened) == 1                                     # topic and place both fire: one incident
    alert = opened[0].alert
    assert alert.scope == {"type": "place", "value": "Kerckebosch"}
    assert {"type": "topic", "value": "verkeer"} in alert.related_scopes or alert.observed < 60
    assert alert.expected < alert.observed and alert.band is not None and alert.band[1] < alert.observed


def test_a_citywide_burst_is_named_after_its_topic() -> None:
    spike = Spike("verkeer", _spec_start() + timedelta(days=8, hours=10, minutes=5), "step", 4.0, 60)
    opened = _opened_near(_run(_docs(spike)), spike, "verkeer")
    assert len(opened) == 1
    assert opened[0].alert.scope == {"type": "topic", "value": "verkeer"}


def test_explaining_part_needs_most_of_the_excess_beyond_the_usual_share() -> None:
    place = Part(row=2, kind="place", observed=30.0, expected=2.0)     # 28 of the topic's 34 extra signals
    channel = Part(row=3, kind="channel", observed=40.0, expected=9.0)  # carries 90 % of the topic anyway
    assert explaining_part(44.0, 10.0, [place, channel], min_count=8, min_ratio=2.0) == place
    assert explaining_part(44.0, 10.0, [channel], min_count=8, min_ratio=2.0) is None
    spread = Part(row=4, kind="place", observed=12.0, expected=2.0)      # a third of the excess: not it
    assert explaining_part(44.0, 10.0, [spread], min_count=8, min_ratio=2.0) is None
    assert explaining_part(9.0, 10.0, [place], min_count=8, min_ratio=2.0) is None   # no burst at all
    burst_channel = Part(row=5, kind="channel", observed=30.0, expected=2.0)         # a platform-only burst
    assert explaining_part(44.0, 10.0, [burst_channel], min_count=8, min_ratio=2.0) == burst_channel
    assert explaining_part(44.0, 10.0, [burst_channel, place], min_count=8, min_ratio=2.0) == place

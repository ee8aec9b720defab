"""The demo stream's roadworks spike (Slotlaan, Centrum) gives exactly one alert episode for `verkeer`."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pipeline.alerts import DetectorConfig, SpikeDetector

demo = pytest.importorskip("pipeline.sources.demo.generator")
rhythm = pytest.importorskip("pipeline.sources.demo.rhythm")
enricher = pytest.importorskip("pipeline.enrich.enricher")


def test_demo_roadworks_spike_gives_one_verkeer_episode() -> None:
    start = demo.DEFAULT_START
    end = start + timedelta(hours=48)
    spike_start = rhythm.history_spike(start, end)
    assert spike_start is not None and spike_start - start >= timedelta(hours=24)   # after the warm-up
    raws = demo.generate(start=start, end=end)
    docs = enricher.Enricher().enrich_many(raws)
    docs.sort(key=lambda d: datetime.fromisoformat(d["created_at"]))
    detector = SpikeDetector(DetectorConfig())
    events = []
    for i in range(0, len(docs), 250):                       # batches as the local runner writes them
        events += detector.observe(docs[i:i + 250])
    events += detector.advance(end + timedelta(hours=2))
    verkeer = [e for e in events if e.alert.topic == "verkeer"]
    opened = [e for e in verkeer if e.kind == "opened"]
    assert len(opened) == 1, [(e.kind, e.at.isoformat(), e.alert.scope) for e in verkeer]
    alert = opened[0].alert
    spike_end = spike_start + rhythm.SPIKE_DURATION
    assert spike_start - timedelta(minutes=15) <= alert.start <= spike_start + timedelta(minutes=15)
    assert spike_start < opened[0].at <= spike_start + timedelta(minutes=30)
    assert alert.scope == {"type": "place", "value": "Centrum"} or \
        {"type": "place", "value": "Centrum"} in alert.related_scopes
    assert "slotlaan" in alert.new_terms
    assert 3 <= len(alert.examples) <= 5
    closed = [e for e in verkeer if e.kind == "closed"]
    assert len(closed) == 1 and closed[0].alert.end <= spike_end + timedelta(minutes=30)
    assert {e.alert.id for e in verkeer} == {alert.id}


def test_demo_spike_texts_read_as_roadworks_not_overig() -> None:
    # spike texts without roadworks words were classified `overig` and opened a second Centrum alert in the demo
    moment = demo.DEFAULT_START + timedelta(hours=10)
    records = [demo.compose(7, i, moment, spiking=True, spike_share=1000.0) for i in range(800)]
    spikes = [r for r in records if r.spike]
    docs = enricher.Enricher().enrich_many([r.signal for r in spikes])
    topics = [d["topic"]["code"] for d in docs]
    assert len(spikes) > 700
    assert topics.count("verkeer") > 0.8 * len(topics)
    assert topics.count("overig") < 0.05 * len(topics)


@pytest.mark.parametrize("local_hour", [4, 15])
def test_live_demo_spike_alerts_within_minutes_at_night_and_by_day(local_hour: int) -> None:
    """The demo's live spike (a fixed number of complaints a minute, whatever the hour) opens a verkeer alert
    within five minutes of its start at 04:00 as at 15:00, after the demo's history at the demo's rate."""
    import random
    import threading

    from pipeline.sources.spec import DEMO_HISTORY_PER_HOUR

    origin = datetime(2026, 3, 4, local_hour, 0, tzinfo=rhythm.LOCAL_ZONE)
    source = demo.DemoSource(now=origin, history_hours=26, history_per_hour=DEMO_HISTORY_PER_HOUR,
                             live_rate=DEMO_HISTORY_PER_HOUR / 3600)
    history = []
    for batch in source.batches(None, threading.Event()):
        if not batch.signals:
            break
        history += batch.signals
        if batch.cursor["n"] >= len(history) and batch.signals[-1].created_at >= origin - timedelta(minutes=1):
            break
    spike_start = source.live_spikes(origin)[0]
    live, moment, rng, index = [], origin, random.Random(1), len(history)
    while moment < spike_start + timedelta(minutes=10):                   # live arrivals at the demo's rates
        moment += timedelta(seconds=rng.expovariate(source.live_rate_at(moment, [spike_start])))
        spiking = rhythm.in_spike(moment, [spike_start])
        live.append(demo.compose(7, index, moment, spiking, source.spike_share_at(moment)).signal)
        index += 1
    enrich = enricher.Enricher()
    detector = SpikeDetector(DetectorConfig(warmup_hours=2))
    for i in range(0, len(history), 500):
        detector.observe(enrich.enrich_many(history[i:i + 500]))
    opened = []
    for signal in live:                                                   # one by one, as the live stream
        opened += [e for e in detector.observe(enrich.enrich_many([signal]))
                   if e.kind == "opened" and e.alert.topic == "verkeer"]
        if opened:
            break
    assert opened, "no verkeer alert within ten minutes of the live spike"
    assert opened[0].at - spike_start <= timedelta(minutes=5), opened[0].at - spike_start
    assert opened[0].alert.scope in ({"type": "topic", "value": "verkeer"}, {"type": "place", "value": "Centrum"})

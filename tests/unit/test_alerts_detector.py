"""The spike detector on small synthetic streams: daily peaks, spikes, episodes, cooldown, negative share,
snapshots, batch order and bad input."""
from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from pipeline.alerts import AlertEvent, DetectorConfig, SpikeDetector
from pipeline.alerts.evaluation.synthetic import Spike, StreamSpec, generate_stream

TOPICS = {"verkeer": 0.4, "afval": 0.35, "parkeren": 0.25}
CALM = {"site_search": 0.05, "call_note": 0.05, "twitter": 0.05, "facebook": 0.05}


def _spec(days: int = 10, seed: int = 3, calm: bool = False, **extra: Any) -> StreamSpec:
    """A three-topic stream of 2,000 signals per working day; `calm` removes bursts (Poisson-like noise)."""
    if calm:
        extra.setdefault("hourly_sigma", dict(CALM))
        extra.setdefault("cascade_continue", 0.0)
    return StreamSpec(days=days, daily_total=2000, topic_shares=dict(TOPICS), seed=seed, **extra)


def _run(docs: list[dict], config: DetectorConfig | None = None, batch: str = "minute") -> list[AlertEvent]:
    """Feed docs in event-time order, a minute (or a fixed number of docs) per batch, then flush."""
    detector = SpikeDetector(config or DetectorConfig())
    events: list[AlertEvent] = []
    if batch == "minute":
        for _, group in itertools.groupby(docs, key=lambda d: d["created_at"][:16]):
            events += detector.observe(list(group))
    else:
        size = int(batch)
        for i in range(0, len(docs), size):
            events += detector.observe(docs[i:i + size])
    last = datetime.fromisoformat(docs[-1]["created_at"])
    events += detector.advance(last + timedelta(hours=3))
    return events


def _opened(events: list[AlertEvent], topic: str | None = None) -> list[AlertEvent]:
    return [e for e in events if e.kind == "opened" and (topic is None or e.alert.topic == topic)]


def _near(events: list[AlertEvent], start: datetime, end: datetime) -> list[AlertEvent]:
    """Events decided within an hour of [start, end]."""
    return [e for e in events if start - timedelta(hours=1) <= e.at <= end + timedelta(hours=1)]


def _local_hour(doc: dict) -> int:
    return (datetime.fromisoformat(doc["created_at"]) + timedelta(hours=2)).hour   # CEST in April-May


def test_no_alert_on_the_normal_daily_peak() -> None:
    stream = generate_stream(_spec(days=14, calm=True))
    by_hour = Counter(_local_hour(d) for d in stream.docs if d["topic"]["code"] == "verkeer")
    assert min(by_hour[h] for h in (10, 11, 14)) > 5 * max(by_hour[h] for h in (2, 3, 4))   # a real daily peak
    events = _run(stream.docs)
    assert _opened(events) == []


def _spike_stream(spikes: list[Spike], days: int = 10, seed: int = 3) -> tuple[StreamSpec, list[dict]]:
    spec = _spec(days=days, seed=seed)
    return spec, generate_stream(spec, spikes).docs


def test_alert_on_an_injected_spike_carries_its_context() -> None:
    spec = _spec()
    spike = Spike("verkeer", spec.start + timedelta(days=8, hours=11, minutes=5), "step", 3.0, 60)
    _, docs = _spike_stream([spike])
    events = _near(_run(docs), spike.start, spike.end)
    opened = _opened(events, "verkeer")
    assert len(opened) == 1
    alert = opened[0].alert
    assert spike.start - timedelta(minutes=15) <= alert.start <= spike.start + timedelta(minutes=15)
    assert spike.start <= opened[0].at <= spike.start + timedelta(minutes=30)
    assert alert.scope in ({"type": "topic", "value": "verkeer"}, *[
        {"type": "channel", "value": c} for c in CALM])
    assert alert.end is None and alert.observed >= 2 * alert.expected and alert.p_value < 1e-5
    assert 3 <= len(alert.examples) <= 5
    assert all(e.id and e.text for e in alert.examples)
    assert len({e.id for e in alert.examples}) == len(alert.examples)
    assert "wegwerkzaamheden" in alert.new_terms or "omleiding" in alert.new_terms
    assert alert.link.startswith("/?topic=verkeer") and "from=" in alert.link
    assert alert.trigger == "volume"


def test_episode_grows_then_closes_with_the_spike() -> None:
    spec = _spec()
    spike = Spike("verkeer", spec.start + timedelta(days=8, hours=11, minutes=5), "step", 3.0, 60)
    _, docs = _spike_stream([spike])
    events = [e for e in _near(_run(docs), spike.start, spike.end) if e.alert.topic == "verkeer"]
    kinds = [e.kind for e in events]
    assert kinds[0] == "opened" and kinds[-1] == "closed" and set(kinds[1:-1]) <= {"updated"}
    assert len({e.alert.id for e in events}) == 1
    closed = events[-1].alert
    assert closed.end is not None
    assert spike.end - timedelta(minutes=15) <= closed.end <= spike.end + timedelta(minutes=30)
    observed = [e.alert.observed for e in events]
    assert observed == sorted(observed) and observed[-1] > observed[0]
    assert closed.to_dict()["end"] is not None and closed.to_dict()["status"] == "closed"


def test_cooldown_keeps_one_episode_for_a_spike_that_comes_back() -> None:
    spec = _spec()
    first = Spike("verkeer", spec.start + timedelta(days=8, hours=10), "step", 4.0, 45)
    again = Spike("verkeer", first.end + timedelta(minutes=60), "step", 4.0, 45)
    _, docs = _spike_stream([first, again])
    kept = SpikeDetector(DetectorConfig(cooldown_minutes=180, negative_trigger=False))
    events = kept.observe(docs)
    with_cooldown = _opened(_near(events, first.start, again.end), "verkeer")
    without = _opened(_near(_run(docs, DetectorConfig(cooldown_minutes=0, negative_trigger=False)), first.start,
                            again.end), "verkeer")
    assert len(with_cooldown) == 1 and kept.episodes.suppressed > 0
    assert len(without) == 2
    assert without[0].at < first.end and without[1].at >= again.start


def test_negative_share_trigger_fires_without_a_volume_rise() -> None:
    spec = _spec(seed=4, negative_share=0.2)
    stream = generate_stream(spec)
    start = spec.start + timedelta(days=8, hours=10)
    end = start + timedelta(minutes=90)
    rng = random.Random(1)
    docs = []
    for doc in stream.docs:
        moment = datetime.fromisoformat(doc["created_at"])
        if doc["topic"]["code"] == "afval" and start <= moment < end and rng.random() < 0.85:
            doc = {**doc, "sentiment": {"label": "negative"}}
        docs.append(doc)
    opened = _opened(_near(_run(docs), start, end), "afval")
    assert [e.alert.trigger for e in opened] == ["negative_share"]
    alert = opened[0].alert
    assert alert.negative_share is not None and alert.negative_share > 0.45   # usual share is 0.2
    assert start <= opened[0].at <= end
    assert sum(e.sentiment == "negative" for e in alert.examples) >= 3
    low, high = alert.band or (0.0, 0.0)
    assert low < alert.expected < high              # the usual range of the volume, not a collapsed band


def test_snapshot_restore_continues_exactly() -> None:
    spec = _spec()
    spike = Spike("afval", spec.start + timedelta(days=8, hours=14), "step", 4.0, 60)
    _, docs = _spike_stream([spike])
    cut = next(i for i, d in enumerate(docs)
               if datetime.fromisoformat(d["created_at"]) >= spike.start + timedelta(minutes=35))
    whole = SpikeDetector()
    expected = whole.observe(docs[:cut]) + whole.observe(docs[cut:])
    first = SpikeDetector()
    got = first.observe(docs[:cut])
    state = json.loads(json.dumps(first.snapshot()))
    assert "afval" in state["episodes"]["open"]          # cut in the middle of an episode
    resumed = SpikeDetector.restore(state)
    got += resumed.observe(docs[cut:])
    assert [e.to_dict() for e in got] == [e.to_dict() for e in expected]
    assert [e.kind for e in got if e.alert.topic == "afval"][-1] == "closed"
    assert resumed.snapshot() == whole.snapshot()


def test_a_snapshot_taken_after_a_new_scope_in_the_open_window_restores() -> None:
    _, docs = _spike_stream([])
    detector = SpikeDetector()
    detector.observe(docs[:5000])
    newcomer = dict(docs[4999], id="nieuw-1", topic={"code": "evenementen", "confidence": 0.9}, place="Nieuwe Wijk")
    detector.observe([newcomer])                      # a new topic and place inside the window still open
    state = json.loads(json.dumps(detector.snapshot()))
    resumed = SpikeDetector.restore(state)
    assert resumed.snapshot() == state
    assert [e.to_dict() for e in resumed.observe(docs[5001:])] == [e.to_dict() for e in detector.observe(docs[5001:])]


@pytest.mark.parametrize("minute, shape, size, duration", [
    (20, "step", 4.0, 60),
    # a burst improbable only against the minutes passed of its window (not the whole window)
    (16, "burst", 5.0, 6),
])
def test_replay_in_big_batches_alerts_like_the_live_stream(minute: int, shape: str, size: float, duration: int) -> None:
    spec = _spec()
    spike = Spike("parkeren", spec.start + timedelta(days=8, hours=9, minutes=minute), shape, size, duration)
    _, docs = _spike_stream([spike])
    live = _run(docs, batch="minute")
    replay = _run(docs, batch="5000")
    assert _opened(live, "parkeren")
    assert [e.to_dict() for e in replay] == [e.to_dict() for e in live]


def test_order_within_a_batch_does_not_matter() -> None:
    spec = _spec()
    spike = Spike("verkeer", spec.start + timedelta(days=8, hours=12), "burst", 5.0, 20)
    _, docs = _spike_stream([spike])
    shuffled = []
    rng = random.Random(7)
    for i in range(0, len(docs), 300):
        chunk = docs[i:i + 300]
        rng.shuffle(chunk)
        shuffled += chunk
    ordered = _run(docs, batch="300")
    mixed = _run(shuffled, batch="300")
    assert _opened(ordered, "verkeer")
    assert [e.to_dict() for e in mixed] == [e.to_dict() for e in ordered]


def test_bad_input_is_counted_and_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    detector = SpikeDetector()
    good = {"id": "twitter:1", "channel": "twitter", "created_at": "2025-04-07T10:00:00+02:00", "text": "x",
            "topic": {"code": "verkeer"}}
    bad: list[Any] = [None, "text", {}, {"id": 5}, {**good, "topic": None}, {**good, "created_at": "gisteren"},
                      {**good, "created_at": "2025-04-07T10:00:00"}, {**good, "created_at": 12}]
    assert detector.observe(bad + [good, good]) == []
    assert detector.stats["invalid"] == len(bad)
    assert detector.stats["counted"] == 1 and detector.stats["duplicate"] == 1
    assert "not counted" in caplog.text
    late = {**good, "id": "twitter:2", "created_at": "2025-04-07T09:00:00+02:00"}
    detector.observe([{**good, "id": "twitter:3", "created_at": "2025-04-07T11:00:00+02:00"}, late])
    assert detector.stats["late"] == 1


def test_memory_is_bounded_by_scopes_not_signals() -> None:
    config = DetectorConfig(max_scopes=12)
    detector = SpikeDetector(config)
    docs = [{"id": f"call_note:{i}", "channel": "call_note", "created_at": f"2025-04-07T10:{i % 60:02d}:00+02:00",
             "text": "melding", "topic": {"code": "openbare_ruimte"}, "place": f"Wijk {i}"} for i in range(200)]
    detector.observe(docs)
    detector.advance(datetime.fromisoformat("2025-04-07T13:00:00+02:00"))
    assert len(detector.index) == 12
    assert detector.hist_x.shape == (12, config.history_windows)
    assert detector.baseline.slot_sum.shape == (12, 168)
    assert len(detector.history) <= config.history_windows and not detector.buckets
    assert len(json.dumps(detector.snapshot())) < 400_000


def test_filling_window_is_tested_against_the_minutes_passed() -> None:
    """A spike starting mid-window alerts sooner when the filling window's expectation grows with the minutes
    passed than when every early count is compared with the whole window's expectation; the same spike, one
    episode either way, and a replay in big batches still alerts at the same moment."""
    spec = _spec()
    spike = Spike("verkeer", spec.start + timedelta(days=8, hours=11, minutes=5), "step", 3.0, 60)
    _, docs = _spike_stream([spike])
    partial = _opened(_near(_run(docs), spike.start, spike.end), "verkeer")
    whole = _opened(_near(_run(docs, DetectorConfig(early_partial_expectation=False)), spike.start, spike.end),
                    "verkeer")
    assert len(partial) == len(whole) == 1
    assert spike.start <= partial[0].at < whole[0].at
    replay = _opened(_near(_run(docs, batch="5000"), spike.start, spike.end), "verkeer")
    assert [e.to_dict() for e in replay] == [e.to_dict() for e in partial]


def test_closed_window_keeps_its_terms_for_alerts_opened_in_the_next_window() -> None:
    """An alert opened at the first signals of a window also takes the new terms of the span's closed windows,
    which keep only their term totals once closed."""
    from pipeline.alerts.scopes import Scope
    from pipeline.alerts.windows import WindowBucket, doc_facts

    key = Scope.of_topic("verkeer").key
    bucket = WindowBucket(0)
    for i in range(3):
        bucket.add(doc_facts({"id": f"twitter:{i}", "channel": "twitter", "created_at": f"1970-01-01T00:0{i}:00+00:00",
                              "text": "Slotlaan dicht", "topic": {"code": "verkeer"},
                              "keywords": ["slotlaan", "dicht"]}), [key])
    before, docs = bucket.terms_for(key, until=900.0)
    bucket.finalize(max_examples=2)
    after, closed_docs = bucket.terms_for(key, until=960.0)
    assert closed_docs == docs == 3 and after == before and after["slotlaan"] == 3


def test_no_test_before_the_hours_of_day_it_spans_were_learned() -> None:
    """With exactly a day of history the hour of day the history began has not been learned yet when the
    warm-up ends: such windows are not tested (a guessed expectation there alerted on every busy topic)."""
    start = datetime.fromisoformat("2026-03-02T09:10:00+00:00")          # 10:10 local
    docs = [{"id": f"site_search:{i}", "channel": "site_search", "created_at": (start + timedelta(minutes=i)).isoformat(),
             "text": "parkeervergunning aanvragen", "topic": {"code": "parkeren"}} for i in range(27 * 60)]
    detector = SpikeDetector(DetectorConfig())
    detector.config.max_future_minutes = None
    day_later = int((start + timedelta(hours=24)).timestamp() // 900)    # warm-up over, 09:15 local unlearned
    checked = 0
    for _, group in itertools.groupby(docs, key=lambda d: d["created_at"][:16]):
        detector.observe(list(group))
        if detector.next_index == day_later:
            assert not detector._is_warm(day_later)
            checked += 1
    assert checked and detector.next_index > day_later + 8
    assert detector._is_warm(detector.next_index)                          # two hours on: learned


def test_slow_low_volume_spike_alerts_via_the_longer_windows_from_where_it_began() -> None:
    # parkeren brings ~40 signals an hour at 9 local: a 2.5x rise is too weak for one 15-minute window
    # to be improbable early on, but the sum of the last two windows is
    spec = _spec()
    spike = Spike("parkeren", spec.start + timedelta(days=8, hours=9, minutes=5), "step", 2.5, 60)
    _, docs = _spike_stream([spike])
    single = _opened(_near(_run(docs, DetectorConfig(spans=(1,))), spike.start, spike.end), "parkeren")
    longer = _opened(_near(_run(docs), spike.start, spike.end), "parkeren")
    assert all(e.at > spike.start + timedelta(minutes=30) for e in single)
    assert len(longer) == 1
    opened = longer[0]
    assert spike.start < opened.at <= spike.start + timedelta(minutes=30)
    window_start = spike.start.replace(minute=spike.start.minute - spike.start.minute % 15)
    assert opened.alert.start == window_start          # event time: the start of the window the rise began in
    assert opened.at - opened.alert.start > timedelta(minutes=15)   # the finding spans more than one window


def test_span_correction_shares_one_p_value_budget_over_the_window_lengths() -> None:
    from pipeline.alerts.findings import level_thresholds
    from pipeline.alerts.scopes import Scope

    scopes = [Scope.of_topic("verkeer"), Scope.of_topic("afval")] + [
        Scope("verkeer", "place", f"wijk{i}") for i in range(8)]
    plain = level_thresholds(DetectorConfig(p_threshold=1e-5), scopes)
    shared = level_thresholds(DetectorConfig(p_threshold=1e-5, span_correction=True), scopes)
    single = level_thresholds(DetectorConfig(p_threshold=1e-5, spans=(1,), span_correction=True), scopes)
    assert plain[0] == pytest.approx(1e-5) and plain[2] == pytest.approx(1e-5 * 2 / 8)
    assert shared == pytest.approx(plain / 3)          # three window lengths: 15, 30 and 60 minutes
    assert single == pytest.approx(plain)


def test_span_correction_keeps_the_daily_peak_quiet_and_still_finds_the_spike() -> None:
    spec = _spec()
    spike = Spike("verkeer", spec.start + timedelta(days=8, hours=11, minutes=5), "step", 3.0, 60)
    _, docs = _spike_stream([spike])
    events = _run(docs, DetectorConfig(span_correction=True))
    opened = _opened(events)
    assert [e.alert.topic for e in opened if spike.start <= e.at <= spike.end] == ["verkeer"]
    assert all(spike.start <= e.at <= spike.end for e in opened if e.at >= spec.start + timedelta(days=1, hours=2))

"""The demo generator: determinism, channel mix, daily rhythm, the spike, zero results, PII, and DemoSource."""
from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli.sources import demo_data
from pipeline.core.settings import Settings
from pipeline.core.signal import validate
from pipeline.sources.demo.generator import (
    MIN_LIVE_RATE,
    DemoRecord,
    DemoSource,
    compose,
    generate,
    generate_labelled,
    generate_records,
    write_jsonl,
)
from pipeline.sources.demo.pii import bsn_is_valid, iban_is_valid
from pipeline.sources.demo.render import NEIGHBOURHOODS
from pipeline.sources.demo.rhythm import CHANNEL_SHARES, LOCAL_ZONE, SPIKE_DURATION
from pipeline.sources.demo.text import TOPICS
from pipeline.sources.replay import ReplaySource

MONDAY = datetime(2026, 3, 2, 0, 0, tzinfo=LOCAL_ZONE)


@pytest.fixture(scope="module")
def week() -> list[DemoRecord]:
    """One week of demo records at a modest rate (Monday to Monday, spike on Sunday 15:00)."""
    return generate_records(seed=11, start=MONDAY, end=MONDAY + timedelta(days=7), rate_per_hour=50)


def test_same_seed_same_signals_other_seed_other_signals() -> None:
    one = [s.to_dict() for s in generate(n=300, seed=5, start=MONDAY)]
    two = [s.to_dict() for s in generate(n=300, seed=5, start=MONDAY)]
    other = [s.to_dict() for s in generate(n=300, seed=6, start=MONDAY)]
    assert one == two and len(one) == 300
    assert one != other


def test_every_record_validates_with_channel_prefixed_unique_ids(week: list[DemoRecord]) -> None:
    for record in week:
        again = validate(json.loads(json.dumps(record.signal.to_dict(), ensure_ascii=False)))
        assert again.id.startswith(f"{again.channel}:demo-")
    assert len({r.signal.id for r in week}) == len(week)


def test_channel_mix_is_close_to_the_target(week: list[DemoRecord]) -> None:
    counts = Counter(r.signal.channel for r in week)
    for channel, share in CHANNEL_SHARES.items():
        assert abs(counts[channel] / len(week) - share) < 0.04, (channel, counts[channel] / len(week))


def test_daily_rhythm_quiet_nights_and_mostly_office_hours_for_calls(week: list[DemoRecord]) -> None:
    hours = Counter(r.signal.created_at.astimezone(LOCAL_ZONE).hour for r in week)
    night = sum(hours[h] for h in range(0, 6)) / 6
    day = sum(hours[h] for h in range(9, 17)) / 8
    assert night * 4 < day
    calls = [r.signal.created_at.astimezone(LOCAL_ZONE) for r in week if r.signal.channel == "call_note"]
    office = sum(1 for local in calls if local.weekday() < 5 and 8 <= local.hour < 17)
    assert office / len(calls) > 0.85, "most call notes are typed while the contact centre is open"
    assert len(calls) > office, "the out-of-hours line adds a few"
    weekend = sum(1 for r in week if r.signal.created_at.astimezone(LOCAL_ZONE).weekday() >= 5) / 2
    weekday = sum(1 for r in week if r.signal.created_at.astimezone(LOCAL_ZONE).weekday() < 5) / 5
    assert weekend < weekday


def test_spike_of_roadworks_complaints_in_one_neighbourhood() -> None:
    start, end = MONDAY, MONDAY + timedelta(days=2)  # spike yesterday (Tuesday) 15:00
    records = generate_records(seed=3, start=start, end=end, rate_per_hour=150)
    spike_start = datetime(2026, 3, 3, 15, 0, tzinfo=LOCAL_ZONE)
    per_hour = Counter(int((r.signal.created_at - start).total_seconds() // 3600)
                       for r in records if r.topic == "verkeer" and r.place == "Centrum")
    spike_hour = int((spike_start - start).total_seconds() // 3600)
    normal = sum(v for h, v in per_hour.items() if h != spike_hour) / 47
    assert per_hour[spike_hour] >= 3 * normal and per_hour[spike_hour] >= 10
    spiking = [r for r in records if r.spike]
    assert all(spike_start <= r.signal.created_at < spike_start + SPIKE_DURATION for r in spiking)
    assert sum("slotlaan" in r.signal.text.lower() for r in spiking) >= 0.9 * len(spiking)
    around = (spike_start - timedelta(hours=2), spike_start + timedelta(hours=2))
    assert [r for r in generate_records(seed=3, start=around[0], end=around[1], rate_per_hour=150) if r.spike]
    assert not [r for r in generate_records(seed=3, start=around[0], end=around[1], rate_per_hour=150, spikes=[])
                if r.spike]


def test_site_searches_have_results_and_a_realistic_zero_share(week: list[DemoRecord]) -> None:
    searches = [r.signal for r in week if r.signal.channel == "site_search"]
    assert all(isinstance(s.meta["results"], int) and s.meta["results"] >= 0 for s in searches)
    zero = sum(s.meta["results"] == 0 for s in searches) / len(searches)
    assert 0.15 <= zero <= 0.25, zero
    texts = {s.text.lower() for s in searches}
    assert {"parkeervergunning", "parkeer vergunning", "parkeervergunnig"} <= texts
    assert {"paspoort", "pasport", "grofvuil", "grof vuil"} <= texts


PHONE = re.compile(r"(?:\b06[- ]?\d{2}|\+31 6 \d{4}|\b030-\d{7})")
POSTCODE = re.compile(r"\b\d{4} ?[A-Z]{2}\b")
PLATE = re.compile(r"\b[A-Z0-9]{1,3}-[A-Z0-9]{2,3}-[A-Z0-9]{1,2}\b")
EMAIL = re.compile(r"\b[\w.]+@[\w.]+\.\w+\b")
BSN = re.compile(r"(?i)\bbsn(?: moeder)? (\d{9})\b")
IBAN = re.compile(r"\bNL\d{2} ?[A-Z]{4}(?: ?\d{2,4}){3,4}\b")


def test_call_notes_carry_realistic_personal_data(week: list[DemoRecord]) -> None:
    notes = [r.signal for r in week if r.signal.channel == "call_note"]
    with_pii = [n for n in notes if any(p.search(n.text) for p in (PHONE, POSTCODE, PLATE, EMAIL, BSN, IBAN))]
    assert len(with_pii) >= 0.5 * len(notes)
    bsns = [m.group(1) for n in notes for m in BSN.finditer(n.text)]
    ibans = [m.group(0) for n in notes for m in IBAN.finditer(n.text)]
    assert len(bsns) > 10 and all(bsn_is_valid(b) for b in bsns)
    assert len(ibans) > 5 and all(iban_is_valid(i) for i in ibans)
    assert any(PLATE.search(n.text) for n in notes) and any(EMAIL.search(n.text) for n in notes)
    assert all(set(n.meta) >= {"team", "callback"} for n in notes)
    assert any(n.meta.get("forwarded_to") for n in notes) and any(n.meta["callback"] for n in notes)
    assert all(n.meta.get("neighbourhood") in (None, *NEIGHBOURHOODS) for n in notes)


def test_pii_checks_reject_wrong_numbers() -> None:
    assert bsn_is_valid("111222333") and not bsn_is_valid("111222334")
    assert iban_is_valid("NL91 ABNA 0417 1643 00") and not iban_is_valid("NL92 ABNA 0417 1643 00")


def test_topics_sentiments_and_languages_are_covered(week: list[DemoRecord]) -> None:
    labelled = generate_labelled(n=50, seed=11, start=MONDAY)
    assert all(len(item) == 3 and item[1] in TOPICS for item in labelled)
    assert {r.topic for r in week} == set(TOPICS)
    social = [r for r in week if r.signal.channel in ("twitter", "facebook")]
    assert {r.sentiment for r in social} == {"negative", "neutral", "positive"}
    assert Counter(r.sentiment for r in social).most_common(1)[0][0] == "negative"
    texts = [r.signal.text for r in social]
    assert any("@gemeentezeist" in t for t in texts) and any("#" in t for t in texts)
    assert any("https://" in t for t in texts)
    assert any(re.search(r"\b(the|and)\b", t) for t in texts), "some English posts"
    assert any(re.search(r"\b(amai|allee|awel|ge)\b", t, re.I) for t in texts), "some Flemish posts"
    assert any(re.search(r"gemeene|vuilnis zak|parkeervergunnig|omleidng", t, re.I) for t in texts), "typos"
    assert all(set(r.signal.meta) <= {"replied_by_municipality"} for r in social), \
        "social posts carry the place in the text only (meta says at most that the municipality replied)"
    answered = sum(bool(r.signal.meta) for r in social) / len(social)
    assert 0.9 < answered < 0.99, "most posts are answered; the rest is what needs attention"
    named = [r for r in social if r.place]
    assert len(named) > 0.2 * len(social)


def test_neighbourhoods_match_the_settings() -> None:
    assert set(NEIGHBOURHOODS) == set(Settings().neighbourhoods)


def test_record_depends_only_on_seed_index_and_time() -> None:
    moment = datetime(2026, 3, 3, 10, 0, tzinfo=timezone.utc)
    assert compose(7, 42, moment).signal == compose(7, 42, moment).signal
    assert compose(7, 42, moment).signal != compose(7, 43, moment).signal


def test_write_jsonl_replays_cleanly(tmp_path: Path) -> None:
    signals = generate(n=200, seed=2, start=MONDAY)
    path = tmp_path / "demo.jsonl"
    assert write_jsonl(path, signals) == 200
    batches = list(ReplaySource(path).batches(None, threading.Event()))
    assert [s for b in batches for s in b.signals] == signals
    assert not [d for b in batches for d in b.dead]


def collect_demo(source: DemoSource, cursor: dict | None, history_count: int, live_seconds: float) -> list:
    """Run a demo source through the rest of its history and `live_seconds` of live signals."""
    stop = threading.Event()
    out = []
    live_started: float | None = None
    for batch in source.batches(cursor, stop):
        out.append(batch)
        if live_started is None and batch.cursor["n"] >= history_count:
            live_started = time.monotonic()
        if live_started is not None and time.monotonic() - live_started >= live_seconds:
            stop.set()
    return out


def test_demo_source_history_then_live_and_resume() -> None:
    now = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
    source = DemoSource(seed=4, history_hours=2, history_per_hour=300, live_rate=20, now=now, batch_size=100)
    history = generate_records(seed=4, start=now - timedelta(hours=2), end=now, rate_per_hour=300)
    first = next(iter(source.batches(None, threading.Event())))
    assert [s.id for s in first.signals] == [r.signal.id for r in history[:100]]
    resumed = collect_demo(source, first.cursor, len(history), live_seconds=0.6)
    got = [s for b in resumed for s in b.signals]
    assert [s.id for s in got[:len(history) - 100]] == [r.signal.id for r in history[100:]]
    live = got[len(history) - 100:]
    assert live, "live signals follow the history"
    assert all(s.created_at >= now for s in live)
    assert [s.id.split("-")[-1] for s in live] == [str(i) for i in range(len(history), len(history) + len(live))]
    assert resumed[-1].cursor == {"origin": now.timestamp(), "n": len(history) + len(live)}
    again = next(b for b in source.batches(resumed[-1].cursor, threading.Event()) if b.signals)
    assert again.signals[0].id.endswith(f"-{len(history) + len(live)}")


def test_live_rate_follows_the_rhythm_with_a_floor_and_spike_after_a_minute() -> None:
    source = DemoSource(live_rate=3.0)
    night = datetime(2026, 3, 4, 3, 0, tzinfo=LOCAL_ZONE)
    morning = datetime(2026, 3, 4, 9, 30, tzinfo=LOCAL_ZONE)
    assert MIN_LIVE_RATE <= source.live_rate_at(night, []) < 0.5
    assert DemoSource(live_rate=0.001).live_rate_at(night, []) == MIN_LIVE_RATE
    assert source.live_rate_at(morning, []) > 3.0
    spikes = source.live_spikes(morning)
    assert spikes == [morning + timedelta(seconds=60)]
    assert source.live_rate_at(morning + timedelta(minutes=30), spikes) > source.live_rate_at(morning, spikes)
    assert DemoSource(spike=False).live_spikes(morning) == []


def test_demo_data_command_writes_a_replayable_file(tmp_path: Path) -> None:
    runner = CliRunner()
    assert "Generate realistic demo signals" in runner.invoke(demo_data, ["--help"]).output
    out = tmp_path / "demo.jsonl"
    result = runner.invoke(demo_data, ["--out", str(out), "-n", "40", "--start", "2026-03-02T08:00:00+01:00"])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 40 and "wrote 40 signals" in result.output
    assert [json.loads(line)["id"] for line in lines] == [s.id for s in generate(
        n=40, seed=7, start=datetime(2026, 3, 2, 8, 0, tzinfo=timezone(timedelta(hours=1))))]
    bad = runner.invoke(demo_data, ["--out", str(out), "--start", "gisteren"])
    assert bad.exit_code != 0 and "ISO 8601" in bad.output


def test_live_spike_adds_the_same_rate_at_every_hour() -> None:
    """The live Slotlaan spike adds LIVE_SPIKE_SHARE of the average rate at night as in the afternoon, and the
    share of spike signals among those composed during it matches that extra rate."""
    from pipeline.sources.demo.generator import LIVE_SPIKE_SHARE, compose
    from pipeline.sources.demo.rhythm import SPIKE_SHARE

    source = DemoSource(live_rate=3.0)
    assert LIVE_SPIKE_SHARE > SPIKE_SHARE
    for start in (datetime(2026, 3, 4, 4, 0, tzinfo=LOCAL_ZONE), datetime(2026, 3, 4, 15, 0, tzinfo=LOCAL_ZONE)):
        spikes = source.live_spikes(start)
        during = start + timedelta(minutes=30)
        extra = source.live_rate_at(during, spikes) - source.live_rate_at(during, [])
        assert extra == pytest.approx(3.0 * LIVE_SPIKE_SHARE)
        share = source.spike_share_at(during)
        live = sum(compose(7, i, during, True, share).spike for i in range(2000))
        assert live / 2000 == pytest.approx(share / (1 + share), abs=0.03)
    night = datetime(2026, 3, 4, 4, 30, tzinfo=LOCAL_ZONE)
    assert source.spike_share_at(night) > 1.0       # at night the spike outnumbers the usual signals
    history = sum(compose(7, i, night, True).spike for i in range(2000))
    assert history / 2000 == pytest.approx(SPIKE_SHARE / (1 + SPIKE_SHARE), abs=0.03)

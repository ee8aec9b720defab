"""The demo stream for Zeist: a deterministic generator of realistic signals and a resumable live DemoSource."""
from __future__ import annotations

import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from pipeline.core.signal import RawSignal, SourceBatch, utc_now
from pipeline.sources.demo.render import (
    pick_author,
    pick_search,
    render_call,
    render_search,
    render_social,
    social_url,
    split_mark,
)
from pipeline.sources.demo.rhythm import (
    LOCAL_ZONE,
    SPIKE_SHARE,
    arrivals,
    channel_rates,
    first_spike_after,
    history_spike,
    in_spike,
    intensity,
)
from pipeline.sources.demo.text import SPIKE_PLACE, TOPICS
from pipeline.sources.demo.text_calls import CALLS, SPIKE_CALLS
from pipeline.sources.demo.text_search import SEARCHES, SPIKE_SEARCHES
from pipeline.sources.demo.text_social import ENGLISH, ENGLISH_SPIKE, FLEMISH, SOCIAL, SPIKE_SOCIAL

log = logging.getLogger(__name__)

DEFAULT_START = datetime(2026, 3, 2, 0, 0, tzinfo=LOCAL_ZONE)  # a Monday
DEFAULT_RATE_PER_HOUR = 300.0
LIVE_SPIKE_DELAY = timedelta(seconds=60)
# The live spike adds LIVE_SPIKE_SHARE of the *average* live rate, whatever the hour: at 04:00 as at 15:00
# the Slotlaan complaints arrive at the same pace, so they alert within a few minutes at any hour of the day.
LIVE_SPIKE_SHARE = 3.0
MIN_LIVE_RATE = 0.05  # at night a signal every ~20 s: quiet, like the city, but alive
HEARTBEAT_SECONDS = 0.5
FLUSH_SECONDS = 0.2
CHANNELS = ("twitter", "facebook", "call_note", "site_search")

TOPIC_WEIGHTS: dict[str, tuple[float, ...]] = {
    # afval, verkeer, parkeren, openbare_ruimte, overlast, burgerzaken, belastingen, vergunningen, zorg,
    # werk_inkomen, dienstverlening, overig
    "social": (14, 12, 10, 14, 12, 7, 5, 5, 5, 3, 9, 4),
    "call_note": (14, 6, 7, 10, 9, 14, 10, 7, 10, 6, 5, 2),
    "site_search": (16, 5, 12, 5, 4, 24, 9, 9, 6, 5, 3, 2),
}
SENTIMENT_WEIGHTS: dict[str, dict[str, float]] = {
    "social": {"negative": 0.55, "neutral": 0.33, "positive": 0.12},
    "call_note": {"negative": 0.45, "neutral": 0.50, "positive": 0.05},
}
SPIKE_CHANNEL_WEIGHTS = {"twitter": 0.45, "facebook": 0.30, "call_note": 0.15, "site_search": 0.10}
ENGLISH_SHARE = 0.05
ANSWERED_SHARE = 0.95  # of the messages to the municipality: answered in time, so "Aandacht nodig" stays short
FLEMISH_SHARE = 0.03


@dataclass(slots=True)
class DemoRecord:
    """A generated signal with the truth behind it: topic code, sentiment label, neighbourhood, spike or not."""

    signal: RawSignal
    topic: str
    sentiment: str
    place: str | None
    spike: bool


def _by_sentiment(bank: Iterable[str]) -> dict[str, list[str]]:
    """Group marked templates by sentiment label."""
    grouped: dict[str, list[str]] = {}
    for entry in bank:
        label, _ = split_mark(entry)
        grouped.setdefault(label, []).append(entry)
    return grouped


_SOCIAL_BY_SENTIMENT = {topic: _by_sentiment(SOCIAL[topic]) for topic in TOPICS}
_CALLS_BY_SENTIMENT = {topic: _by_sentiment(CALLS[topic]) for topic in TOPICS}


def _pick_template(rng: random.Random, grouped: dict[str, list[str]], weights: dict[str, float]) -> str:
    """A template of a sentiment drawn by `weights` (falling back to any sentiment the topic has)."""
    labels = [label for label in weights if label in grouped]
    label = rng.choices(labels, weights=[weights[label] for label in labels])[0]
    return rng.choice(grouped[label])


def _pick_channel(rng: random.Random, moment: datetime, spike: bool) -> str:
    """The channel of a signal at `moment`: the rhythm's channel mix (no call notes outside office hours)."""
    rates = channel_rates(moment)
    if spike:
        weights = {c: w for c, w in SPIKE_CHANNEL_WEIGHTS.items() if c != "call_note" or rates["call_note"] > 0}
    else:
        weights = rates
    channels = list(weights)
    return rng.choices(channels, weights=[weights[c] for c in channels])[0]


def compose(seed: int, index: int, moment: datetime, spiking: bool = False,
            spike_share: float = SPIKE_SHARE) -> DemoRecord:
    """Signal number `index` of the demo for `seed`, created at `moment`: derived only from (seed, index, moment).
    During a spike the rate is (1 + spike_share) times normal, and that extra share are spike signals."""
    rng = random.Random(f"{seed}:{index}")
    spike = spiking and rng.random() < spike_share / (1 + spike_share)
    channel = _pick_channel(rng, moment, spike)
    if channel in ("twitter", "facebook"):
        return _answered(_social(rng, seed, index, moment, channel, spike), seed, index)
    if channel == "call_note":
        return _answered(_call_note(rng, seed, index, moment, spike), seed, index)
    return _site_search(rng, index, moment, spike)


def _answered(record: DemoRecord, seed: int, index: int) -> DemoRecord:
    """Mark most messages as answered (a reply to a post, a call returned), as a working team does; the rest
    is what "Aandacht nodig" lists. A separate random stream keeps every other choice of the signal the same."""
    if random.Random(f"{seed}:{index}:answered").random() < ANSWERED_SHARE:
        key = "called_back" if record.signal.channel == "call_note" else "replied_by_municipality"
        record.signal.meta = {**record.signal.meta, key: True}
    return record


def _social(rng: random.Random, seed: int, index: int, moment: datetime, channel: str, spike: bool) -> DemoRecord:
    """A tweet or Facebook comment."""
    language, roll = "nl", rng.random()
    if spike:
        topic = "verkeer"
        entry = rng.choice(ENGLISH_SPIKE) if roll < ENGLISH_SHARE else rng.choice(SPIKE_SOCIAL)
        language = "en" if roll < ENGLISH_SHARE else "nl"
    elif roll < ENGLISH_SHARE:
        topic, entry = rng.choice(ENGLISH)
        language = "en"
    elif roll < ENGLISH_SHARE + FLEMISH_SHARE:
        topic, entry = rng.choice(FLEMISH)
        language = "nl-be"
    else:
        topic = rng.choices(TOPICS, weights=TOPIC_WEIGHTS["social"])[0]
        entry = _pick_template(rng, _SOCIAL_BY_SENTIMENT[topic], SENTIMENT_WEIGHTS["social"])
    sentiment, template = split_mark(entry)
    text, place = render_social(rng, channel, topic, sentiment, template, spike, "nl" if language != "en" else "en")
    if spike:
        place = SPIKE_PLACE
    author = pick_author(rng, seed, channel)
    created = moment.astimezone(timezone.utc)
    signal = RawSignal(id=f"{channel}:demo-{index}", channel=channel, created_at=created, text=text,
                       author=author, url=social_url(rng, channel, author, created, index))
    return DemoRecord(signal, topic, sentiment, place, spike)


def _call_note(rng: random.Random, seed: int, index: int, moment: datetime, spike: bool) -> DemoRecord:
    """A contact-centre call note in staff shorthand."""
    if spike:
        topic, entry = "verkeer", rng.choice(SPIKE_CALLS)
    else:
        topic = rng.choices(TOPICS, weights=TOPIC_WEIGHTS["call_note"])[0]
        entry = _pick_template(rng, _CALLS_BY_SENTIMENT[topic], SENTIMENT_WEIGHTS["call_note"])
    sentiment, template = split_mark(entry)
    text, meta, place = render_call(rng, topic, template, spike)
    signal = RawSignal(id=f"call_note:demo-{index}", channel="call_note", created_at=moment.astimezone(LOCAL_ZONE),
                       text=text, author=pick_author(rng, seed, "call_note"), meta=meta)
    return DemoRecord(signal, topic, sentiment, place, spike)


def _site_search(rng: random.Random, index: int, moment: datetime, spike: bool) -> DemoRecord:
    """A query typed in the site's search box, with the number of results."""
    if spike:
        topic, entry = "verkeer", rng.choice(SPIKE_SEARCHES)
    else:
        topic = rng.choices(TOPICS, weights=TOPIC_WEIGHTS["site_search"])[0]
        entry = pick_search(rng, SEARCHES[topic])
    query, results = render_search(rng, entry)
    signal = RawSignal(id=f"site_search:demo-{index}", channel="site_search",
                       created_at=moment.astimezone(LOCAL_ZONE), text=query, meta={"results": results})
    return DemoRecord(signal, topic, "neutral", SPIKE_PLACE if spike else None, spike)


def _window(n: int | None, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime | None]:
    """Resolve the start and end of a generation request."""
    if n is None and end is None:
        raise ValueError("give a number of signals (n) or an end time")
    if start is None:
        start = end - timedelta(hours=48) if end is not None else DEFAULT_START
    if start.tzinfo is None or (end is not None and end.tzinfo is None):
        raise ValueError("start and end must be timezone-aware")
    return start, end


def timeline(n: int | None = None, seed: int = 7, start: datetime | None = None, end: datetime | None = None, *,
             rate_per_hour: float = DEFAULT_RATE_PER_HOUR,
             spikes: Sequence[datetime] | None = None) -> Iterator[tuple[datetime, bool]]:
    """The arrival times of a generation request and whether each falls in a spike (cheap: no text yet)."""
    start, end = _window(n, start, end)
    if spikes is None:
        automatic = history_spike(start, end) if end is not None else first_spike_after(start)
        spikes = [] if automatic is None else [automatic]
    rng = random.Random(f"{seed}:arrivals:{int(start.timestamp())}")
    moments = arrivals(start, end, rate_per_hour, list(spikes), rng)
    return moments if n is None else islice(moments, n)


def iter_records(n: int | None = None, seed: int = 7, start: datetime | None = None, end: datetime | None = None,
                 *, first_index: int = 0, **options: Any) -> Iterator[DemoRecord]:
    """Demo records one by one (see generate_records)."""
    for offset, (moment, spiking) in enumerate(timeline(n, seed, start, end, **options)):
        yield compose(seed, first_index + offset, moment, spiking)


def generate_records(n: int | None = None, seed: int = 7, start: datetime | None = None,
                     end: datetime | None = None, *, rate_per_hour: float = DEFAULT_RATE_PER_HOUR,
                     spikes: Sequence[datetime] | None = None, first_index: int = 0) -> list[DemoRecord]:
    """Demo records from `start` on, until `n` records or `end` (whichever comes first); deterministic.

    `spikes` lists spike start times; None puts one at yesterday 15:00 of a time range (or the first
    15:00 after `start` when only `n` is given); an empty list means no spike.
    """
    return list(iter_records(n, seed, start, end, rate_per_hour=rate_per_hour, spikes=spikes,
                             first_index=first_index))


def generate(n: int | None = None, seed: int = 7, start: datetime | None = None, end: datetime | None = None,
             **options: Any) -> list[RawSignal]:
    """Demo signals (see generate_records for the options); the same arguments give the same signals."""
    return [record.signal for record in generate_records(n, seed, start, end, **options)]


def generate_labelled(n: int | None = None, seed: int = 7, start: datetime | None = None,
                      end: datetime | None = None, **options: Any) -> list[tuple[RawSignal, str, str]]:
    """Demo signals with their true topic code and sentiment label, for tests and evaluations."""
    return [(r.signal, r.topic, r.sentiment) for r in generate_records(n, seed, start, end, **options)]


def write_jsonl(path: str | Path, signals: Iterable[RawSignal]) -> int:
    """Write signals as JSONL (one raw signal per line); returns how many were written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(target, "w", encoding="utf-8", newline="\n") as handle:
        for signal in signals:
            handle.write(json.dumps(signal.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count


class DemoSource:
    """A resumable demo stream: the history of the last hours as fast as possible, then live signals."""

    def __init__(self, seed: int = 7, history_hours: float = 48, live_rate: float = 3.0,
                 now: datetime | None = None, spike: bool = True, history_per_hour: float = DEFAULT_RATE_PER_HOUR,
                 batch_size: int = 500, live_spike_share: float = LIVE_SPIKE_SHARE) -> None:
        """`now` fixes the start time (tests); `history_per_hour` sets the history's average volume;
        `live_spike_share` is the extra share of signals during the live spike (the history's is SPIKE_SHARE)."""
        if now is not None and now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.seed = seed
        self.name = f"demo:{seed}"
        self.history_hours = max(0.0, history_hours)
        self.live_rate = max(0.0, live_rate)
        self.now = now
        self.spike = spike
        self.history_per_hour = history_per_hour
        self.batch_size = max(1, batch_size)
        self.live_spike_share = max(0.0, live_spike_share)

    def batches(self, cursor: dict[str, Any] | None, stop: threading.Event) -> Iterator[SourceBatch]:
        """Yield the history after `cursor`, then live signals until `stop` is set."""
        started = time.monotonic()
        begin = self.now or utc_now()
        origin_ts = float((cursor or {}).get("origin", begin.timestamp()))
        done = int((cursor or {}).get("n", 0))
        origin = datetime.fromtimestamp(origin_ts, timezone.utc)
        clock = (lambda: begin + timedelta(seconds=time.monotonic() - started)) if self.now else utc_now
        history_count = yield from self._history(origin_ts, done, stop)
        if stop.is_set():
            return
        spikes = self.live_spikes(origin)
        if spikes:
            log.info("demo: live stream at about %.1f signals a minute; the Slotlaan spike starts at %s",
                     self.live_rate * 60, spikes[0].astimezone(LOCAL_ZONE).strftime("%H:%M:%S %Z"))
        yield from self._live(origin_ts, max(done, history_count), spikes, clock, stop)

    def _history(self, origin_ts: float, done: int, stop: threading.Event) -> Iterator[SourceBatch]:
        """Yield the history before `origin` from signal `done` on, in batches; returns the history's size.

        The same origin always gives the same history, so a restart continues it without gaps or repeats.
        """
        if self.history_hours <= 0 or self.history_per_hour <= 0:
            return 0
        origin = datetime.fromtimestamp(origin_ts, timezone.utc)
        start = origin - timedelta(hours=self.history_hours)
        log.info("demo: history of %g hours before %s, from signal %d on", self.history_hours, origin.isoformat(), done)
        moments = timeline(seed=self.seed, start=start, end=origin, rate_per_hour=self.history_per_hour,
                           spikes=None if self.spike else [])
        chunk: list[RawSignal] = []
        received: list[float] = []
        count = 0
        for index, (moment, spiking) in enumerate(moments):
            count = index + 1
            if index < done:
                continue
            chunk.append(compose(self.seed, index, moment, spiking).signal)
            received.append(time.monotonic())
            if len(chunk) >= self.batch_size:
                yield SourceBatch(chunk, [], {"origin": origin_ts, "n": count}, received)
                chunk, received = [], []
                if stop.is_set():
                    return count
        if chunk:
            yield SourceBatch(chunk, [], {"origin": origin_ts, "n": count}, received)
        return count

    def live_spikes(self, origin: datetime) -> list[datetime]:
        """The live spike starts a minute after the first start, so someone watching the demo sees it."""
        return [origin + LIVE_SPIKE_DELAY] if self.spike else []

    def base_rate_at(self, moment: datetime) -> float:
        """Signals per second at `moment` without spikes: live_rate shaped by the daily rhythm, at least MIN_LIVE_RATE."""
        return max(MIN_LIVE_RATE, self.live_rate * intensity(moment)) if self.live_rate > 0 else 0.0

    def spike_rate(self) -> float:
        """Extra signals per second during the live spike: a share of the average rate, the same at every hour."""
        return max(self.live_rate, MIN_LIVE_RATE) * self.live_spike_share

    def live_rate_at(self, moment: datetime, spikes: Sequence[datetime]) -> float:
        """Signals per second at `moment`: the rhythm's rate, plus the spike's fixed extra rate during a spike."""
        rate = self.base_rate_at(moment)
        return rate + self.spike_rate() if rate > 0 and in_spike(moment, spikes) else rate

    def spike_share_at(self, moment: datetime) -> float:
        """The spike's extra rate relative to the rhythm's rate at `moment` (what compose() expects)."""
        base = self.base_rate_at(moment)
        return self.spike_rate() / base if base > 0 else 0.0

    def _live(self, origin_ts: float, index: int, spikes: Sequence[datetime], clock: Any,
              stop: threading.Event) -> Iterator[SourceBatch]:
        """Emit signal after signal at wall-clock pace with Poisson gaps, flushing small batches promptly."""
        signals: list[RawSignal] = []
        received: list[float] = []
        due = time.monotonic()
        last_yield = time.monotonic()
        while not stop.is_set():
            rate = self.live_rate_at(clock(), spikes)
            if rate <= 0:
                yield SourceBatch(signals, [], {"origin": origin_ts, "n": index}, received)
                signals, received = [], []
                stop.wait(HEARTBEAT_SECONDS)
                continue
            due = max(due + random.Random(f"{self.seed}:gap:{index}").expovariate(rate), time.monotonic() - 1.0)
            wait = due - time.monotonic()
            flush = signals and (wait > 0.05 or time.monotonic() - received[0] >= FLUSH_SECONDS
                                 or len(signals) >= self.batch_size)
            if flush or (not signals and time.monotonic() - last_yield >= HEARTBEAT_SECONDS):
                yield SourceBatch(signals, [], {"origin": origin_ts, "n": index}, received)
                signals, received, last_yield = [], [], time.monotonic()
            while (wait := due - time.monotonic()) > 0:
                if stop.wait(min(wait, HEARTBEAT_SECONDS)):
                    break
                if due - time.monotonic() > 0:
                    yield SourceBatch([], [], {"origin": origin_ts, "n": index}, [])
                    last_yield = time.monotonic()
            if stop.is_set():
                break
            moment = clock()
            signals.append(compose(self.seed, index, moment, in_spike(moment, spikes), self.spike_share_at(moment)).signal)
            received.append(time.monotonic())
            index += 1
        if signals:
            yield SourceBatch(signals, [], {"origin": origin_ts, "n": index}, received)

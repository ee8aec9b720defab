"""A synthetic municipal stream for evaluating alerts: daily and weekly rhythm per channel, public holidays,
overdispersed noise (hourly rate swings and reply cascades) and injected spikes of known size and shape.

All vocabulary and volumes are written for this project (volumes are plausible for a town of ~65,000)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from pipeline.alerts.calendar_nl import SlotClock
from pipeline.alerts.terms import doc_terms

TOPIC_SHARES: dict[str, float] = {
    "afval": 0.16, "verkeer": 0.11, "parkeren": 0.10, "openbare_ruimte": 0.12, "overlast": 0.08,
    "burgerzaken": 0.14, "belastingen": 0.05, "vergunningen": 0.06, "zorg": 0.05, "werk_inkomen": 0.04,
    "dienstverlening": 0.05, "overig": 0.04,
}
CHANNEL_SHARES: dict[str, float] = {"site_search": 0.55, "call_note": 0.18, "twitter": 0.15, "facebook": 0.12}
SOCIAL = ("twitter", "facebook")
PLACE_PROBABILITY = {"site_search": 0.0, "call_note": 0.7, "twitter": 0.3, "facebook": 0.35}
PLACES = ["Centrum", "Kerckebosch", "Vollenhove", "Couwenhoven", "Crosestein", "Brugakker",
          "Staatsliedenkwartier", "Lyceumkwartier", "Patijnpark", "Den Dolder", "Austerlitz",
          "Bosch en Duin", "Huis ter Heide", "Nijenheim", "Dijnselburg"]

# relative volume per local hour on a working day, and the factor for Saturdays/Sundays/holidays
_HOURS_SEARCH = [.12, .07, .05, .04, .05, .1, .3, .6, .9, 1, 1, 1, .95, 1, 1, .95, .9, .8, .75, .85, .9, .8, .55, .3]
_HOURS_OFFICE = [0, 0, 0, 0, 0, 0, 0, 0, .8, 1, 1, 1, .8, .9, 1, .9, .7, 0, 0, 0, 0, 0, 0, 0]
_HOURS_SOCIAL = [.25, .12, .06, .04, .04, .08, .25, .6, .8, .7, .7, .75, .85, .75, .7, .7, .8, .95, 1.1, 1.25, 1.3,
                 1.2, .9, .5]
HOUR_PROFILE = {"site_search": _HOURS_SEARCH, "call_note": _HOURS_OFFICE, "twitter": _HOURS_SOCIAL,
                "facebook": _HOURS_SOCIAL}
# log-normal swing of each topic's rate per hour and channel: social media is burstier than calls and searches
HOURLY_SIGMA = {"site_search": 0.15, "call_note": 0.1, "twitter": 0.35, "facebook": 0.35}
WEEKEND_FACTOR = {"site_search": 0.55, "call_note": 0.0, "twitter": 0.9, "facebook": 0.95}

TOPIC_PHRASES: dict[str, list[str]] = {
    "afval": ["grijze container is weer niet geleegd", "wanneer komt het grofvuil", "afvalkalender klopt niet",
              "zwerfvuil bij de glasbak", "gft bak vergeten in onze straat"],
    "verkeer": ["druk op de rotonde vanochtend", "stoplicht staat lang op rood", "fietspad is glad",
                "te hard gereden in de wijk", "bus rijdt om door werk aan de weg"],
    "parkeren": ["parkeervergunning aanvragen", "geen plek voor bezoekers", "blauwe zone bord onduidelijk",
                 "auto op de stoep geparkeerd", "bezoekersregeling parkeren"],
    "openbare_ruimte": ["lantaarnpaal doet het niet", "losse stoeptegel voor de deur", "boom hangt over het pad",
                        "speeltuin kapot", "riool stinkt bij de put"],
    "overlast": ["harde muziek bij de buren", "hangjongeren bij het winkelcentrum", "vuurwerk afgestoken",
                 "ratten in de tuin", "blaffende hond de hele nacht"],
    "burgerzaken": ["paspoort verlengen afspraak", "id kaart kwijt", "verhuizing doorgeven",
                    "uittreksel brp aanvragen", "rijbewijs vernieuwen"],
    "belastingen": ["woz waarde bezwaar", "aanslag afvalstoffenheffing", "kwijtschelding gemeentelijke belasting",
                    "hondenbelasting opzeggen"],
    "vergunningen": ["omgevingsvergunning dakkapel", "bezwaar tegen bouwplan buren", "evenementenvergunning",
                     "kapvergunning boom in tuin"],
    "zorg": ["wmo aanvraag traplift", "hulp bij het huishouden", "jeugdhulp wachtlijst", "mantelzorg waardering"],
    "werk_inkomen": ["bijstand aanvragen", "uitkering te laat", "schuldhulp gemeente", "energietoeslag"],
    "dienstverlening": ["niet teruggebeld", "lang in de wacht", "kan het niet vinden op de website",
                        "telefonisch niet bereikbaar"],
    "overig": ["openingstijden gemeentehuis", "vraag over de bibliotheek", "bedankt voor de snelle hulp"],
}
SPIKE_PHRASES: dict[str, list[str]] = {
    topic: [f"plotseling probleem {topic} storing", f"alweer {topic} storing melding", f"{topic} storing niemand doet iets"]
    for topic in TOPIC_SHARES
}
SPIKE_PHRASES["verkeer"] = ["wegwerkzaamheden zonder omleiding", "weg afgesloten omleiding onduidelijk",
                            "wegwerkzaamheden geen bord geplaatst"]
SPIKE_PHRASES["afval"] = ["container al week niet geleegd storing", "hele wijk vuilnis niet opgehaald",
                          "vuilniswagen niet geweest vuilnis staat buiten"]


@dataclass(slots=True)
class Spike:
    """An injected rise of one topic: `size` times its normal rate at the peak, of a given shape."""

    topic: str
    start: datetime
    shape: str            # "step" (flat for the duration), "ramp" (linear rise to the peak), "burst" (short)
    size: float
    minutes: int
    place: str | None = None
    local_share: float = 0.0
    normal_per_hour: float = 0.0   # the topic's normal rate during the spike (filled in by generate_stream)

    @property
    def end(self) -> datetime:
        """When the extra signals stop."""
        return self.start + timedelta(minutes=self.minutes)

    def factor(self, minute_offset: np.ndarray) -> np.ndarray:
        """Extra rate as a multiple of the normal rate, per minute since the start."""
        inside = (minute_offset >= 0) & (minute_offset < self.minutes)
        if self.shape == "ramp":
            level = (minute_offset + 1) / self.minutes
        else:
            level = np.ones_like(minute_offset, dtype=float)
        return np.where(inside, (self.size - 1) * level, 0.0)


@dataclass(slots=True)
class StreamSpec:
    """What to generate."""

    start: datetime = datetime(2025, 4, 7, tzinfo=timezone.utc) - timedelta(hours=2)  # Monday 00:00 in NL
    days: int = 56
    daily_total: float = 2400.0
    topic_shares: dict[str, float] = field(default_factory=lambda: dict(TOPIC_SHARES))
    channel_shares: dict[str, float] = field(default_factory=lambda: dict(CHANNEL_SHARES))
    hourly_sigma: dict[str, float] = field(default_factory=lambda: dict(HOURLY_SIGMA))
    cascade_continue: float = 0.3       # chance a social post draws one more reply (geometric cascades)
    negative_share: float = 0.3
    spike_negative_share: float = 0.75
    timezone: str = "Europe/Amsterdam"
    seed: int = 1
    branching: float = 0.0              # self-exciting social posts: mean offspring per post (0: none)
    fertility_shape: float = 0.5        # gamma shape of each post's offspring mean (small: rare viral posts)
    excitation_minutes: float = 25.0    # mean delay from a post to each post it triggers


@dataclass(slots=True)
class SyntheticStream:
    """Generated enriched-signal dicts in created_at order, with the spikes injected into them."""

    spec: StreamSpec
    docs: list[dict[str, Any]]
    spikes: list[Spike]
    spike_docs: int


def _minute_profile(spec: StreamSpec, minutes: int) -> dict[str, np.ndarray]:
    """Relative rate per minute for each channel (sums to the channel's daily share per working day)."""
    clock = SlotClock(spec.timezone, "nl")
    starts = [spec.start + timedelta(hours=h) for h in range(minutes // 60 + 1)]
    slots = [clock.slot(moment) for moment in starts]
    out = {}
    for channel, hours in HOUR_PROFILE.items():
        norm = sum(hours)
        per_hour = np.array([hours[h] / norm * (WEEKEND_FACTOR[channel] if d >= 5 else 1.0) for d, h in slots])
        out[channel] = np.repeat(per_hour, 60)[:minutes] / 60.0
    return out


def generate_stream(spec: StreamSpec, spikes: list[Spike] | None = None) -> SyntheticStream:
    """Generate the stream; deterministic for a given spec and spike list."""
    rng = np.random.default_rng(spec.seed)
    spikes = list(spikes or [])
    minutes = spec.days * 1440
    topics = list(spec.topic_shares)
    channels = list(spec.channel_shares)
    profile = _minute_profile(spec, minutes)
    base = np.zeros((minutes, len(topics), len(channels)))
    for ci, channel in enumerate(channels):
        for ti, topic in enumerate(topics):
            base[:, ti, ci] = spec.daily_total * spec.topic_shares[topic] * spec.channel_shares[channel] * profile[channel]
    hours = minutes // 60 + 1
    if spec.branching > 0:
        # a branching process keeps the mean volume when posts from outside come at (1 - n) of the rate
        for ci, channel in enumerate(channels):
            if channel in SOCIAL:
                base[:, :, ci] *= 1.0 - spec.branching
    sigma = np.array([spec.hourly_sigma[c] for c in channels])
    swing = rng.lognormal(-sigma ** 2 / 2, sigma, size=(hours, len(topics), len(channels)))
    noisy = base * np.repeat(swing, 60, axis=0)[:minutes]
    background = rng.poisson(noisy)
    extra = np.zeros_like(base)
    offsets = np.arange(minutes)
    start_ts = spec.start.timestamp()
    for spike in spikes:
        ti = topics.index(spike.topic)
        since = offsets - int((spike.start.timestamp() - start_ts) // 60)
        extra[:, ti, :] += base[:, ti, :] * spike.factor(since)[:, None]
        during = (since >= 0) & (since < spike.minutes)
        spike.normal_per_hour = float(base[during, ti, :].sum() * 60 / max(1, during.sum()))
    spike_counts = rng.poisson(extra)
    docs: list[dict[str, Any]] = []
    _emit(docs, background, topics, channels, spec, rng, spiking=None, spikes=spikes)
    _emit(docs, spike_counts, topics, channels, spec, rng, spiking=True, spikes=spikes)
    n_spike = sum(1 for d in docs if d["id"].split(":")[1].startswith("s"))
    docs.sort(key=lambda d: (d["created_at"], d["id"]))
    return SyntheticStream(spec=spec, docs=docs, spikes=spikes, spike_docs=n_spike)


def _spike_for(spikes: list[Spike], topic: str, ts: float) -> Spike | None:
    """The spike of `topic` running at `ts`, if any."""
    for spike in spikes:
        if spike.topic == topic and spike.start.timestamp() <= ts < spike.end.timestamp():
            return spike
    return None


def _emit(docs: list[dict[str, Any]], counts: np.ndarray, topics: list[str], channels: list[str], spec: StreamSpec,
          rng: np.random.Generator, spiking: bool | None, spikes: list[Spike]) -> None:
    """Turn per-minute counts into docs, adding reply cascades on social channels."""
    start_ts = spec.start.timestamp()
    prefix = "s" if spiking else "b"
    minute_idx, topic_idx, channel_idx = np.nonzero(counts)
    serial = len(docs)
    for m, ti, ci in zip(minute_idx, topic_idx, channel_idx):
        topic, channel = topics[ti], channels[ci]
        for _ in range(int(counts[m, ti, ci])):
            ts = start_ts + m * 60 + float(rng.uniform(0, 60))
            spike = _spike_for(spikes, topic, ts) if spiking else None
            place = None
            if spike is not None and spike.place and rng.random() < spike.local_share:
                place = spike.place
            elif rng.random() < PLACE_PROBABILITY[channel]:
                place = PLACES[min(int(rng.zipf(1.6)) - 1, len(PLACES) - 1)]
            replies = int(rng.geometric(1 - spec.cascade_continue)) - 1 if channel in SOCIAL else 0
            for reply in range(replies + 1):
                serial += 1
                moment = ts + (float(rng.uniform(30, 1200)) if reply else 0.0)
                docs.append(_doc(f"{prefix}{serial}", channel, moment, topic, place, spiking, spec, rng))
            if channel in SOCIAL and spec.branching > 0 and not spiking:
                for moment in triggered_posts(rng, ts, spec.branching, spec.fertility_shape,
                                              spec.excitation_minutes * 60):
                    serial += 1
                    docs.append(_doc(f"{prefix}{serial}", channel, moment, topic, place, spiking, spec, rng))


MAX_TRIGGERED = 2000


def triggered_posts(rng: np.random.Generator, ts: float, branching: float, shape: float,
                    delay_seconds: float) -> list[float]:
    """Times of the posts one post sets off, generation by generation (a Hawkes cluster): each post has a
    gamma-distributed offspring mean (mean `branching`, shape `shape`) and its offspring follow after
    exponential delays; capped at MAX_TRIGGERED posts."""
    out: list[float] = []
    parents = [ts]
    while parents and len(out) < MAX_TRIGGERED:
        children = []
        for parent in parents:
            mean = float(rng.gamma(shape, branching / shape))
            for _ in range(int(rng.poisson(mean))):
                children.append(parent + float(rng.exponential(delay_seconds)))
        out.extend(children)
        parents = children
    return out[:MAX_TRIGGERED]


_KEYWORDS: dict[str, list[str]] = {}


def _keywords(text: str) -> list[str]:
    """Content words of a generated text, standing in for the keywords enrichment adds (cached per text)."""
    found = _KEYWORDS.get(text)
    if found is None:
        found = _KEYWORDS[text] = sorted(doc_terms({"text": text}))
    return found


def _doc(local_id: str, channel: str, ts: float, topic: str, place: str | None, spiking: bool | None,
         spec: StreamSpec, rng: np.random.Generator) -> dict[str, Any]:
    """One enriched-signal dict with text, sentiment and keywords."""
    phrases = SPIKE_PHRASES[topic] if spiking else TOPIC_PHRASES[topic]
    text = phrases[int(rng.integers(len(phrases)))]
    if place:
        text = f"{text} in {place}"
    negative = spec.spike_negative_share if spiking else spec.negative_share
    roll = rng.random()
    label = "negative" if roll < negative else ("positive" if roll > 0.88 else "neutral")
    return {"id": f"{channel}:{local_id}", "channel": channel,
            "created_at": datetime.fromtimestamp(ts, timezone.utc).isoformat(), "text": text,
            "topic": {"code": topic, "label": topic, "confidence": 0.9}, "sentiment": {"label": label},
            "place": place, "keywords": _keywords(text)}

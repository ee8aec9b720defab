"""Fixed event-time windows: what the detector needs from one enriched signal, and one window's tallies."""
from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pipeline.alerts.calendar_nl import is_midnight
from pipeline.alerts.terms import doc_terms

MAX_EXAMPLE_CHARS = 500
MAX_PLACE_CHARS = 80
TOTAL_PREFIX = "*|"


@dataclass(slots=True)
class DocFacts:
    """The few fields of an enriched signal the detector uses."""

    id: str
    ts: float
    topic: str
    channel: str | None
    place: str | None
    sentiment: str | None
    text: str
    created_at: str
    terms: set[str]
    midnight: bool = False     # stamped at exactly 00:00:00 in its own offset (a date without a time of day)

    @property
    def rank(self) -> int:
        """A stable pseudo-random rank from the id, so example choice does not depend on arrival order."""
        return zlib.crc32(self.id.encode("utf-8"))

    def example(self) -> dict[str, Any]:
        """The example shape alerts carry."""
        return {"id": self.id, "text": self.text[:MAX_EXAMPLE_CHARS], "channel": self.channel,
                "created_at": self.created_at, "sentiment": self.sentiment}


def _topic_code(doc: dict[str, Any]) -> str | None:
    """The topic code of a signal, whether `topic` is an object or a plain code."""
    topic = doc.get("topic")
    if isinstance(topic, dict):
        topic = topic.get("code")
    return topic if isinstance(topic, str) and topic.strip() else None


def doc_facts(doc: Any) -> DocFacts:
    """Extract DocFacts from an enriched signal; raise ValueError with the reason when it cannot count."""
    if not isinstance(doc, dict):
        raise ValueError(f"not a JSON object: {type(doc).__name__}")
    sid = doc.get("id")
    if not isinstance(sid, str) or not sid:
        raise ValueError("no id")
    topic = _topic_code(doc)
    if topic is None:
        raise ValueError(f"{sid}: no topic code")
    created = doc.get("created_at")
    if isinstance(created, datetime):
        moment = created
    elif isinstance(created, str):
        text = created[:-1] + "+00:00" if created.endswith(("Z", "z")) else created
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{sid}: created_at is not ISO 8601") from None
    else:
        raise ValueError(f"{sid}: no created_at")
    if moment.tzinfo is None:
        raise ValueError(f"{sid}: created_at has no UTC offset")
    channel = doc.get("channel") if isinstance(doc.get("channel"), str) else None
    place = doc.get("place")
    place = place.strip()[:MAX_PLACE_CHARS] if isinstance(place, str) and place.strip() else None
    sentiment = doc.get("sentiment")
    label = sentiment.get("label") if isinstance(sentiment, dict) else sentiment
    label = label if isinstance(label, str) else None
    text = doc.get("text") if isinstance(doc.get("text"), str) else ""
    stamp = moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return DocFacts(id=sid, ts=moment.timestamp(), topic=topic.strip(), channel=channel, place=place,
                    sentiment=label, text=text, created_at=stamp, terms=doc_terms(doc), midnight=is_midnight(moment))


@dataclass(slots=True)
class WindowBucket:
    """Tallies of one window: counts per scope key, negatives per topic, examples and term frequencies.

    While the window is open every signal is kept per scope as (time, rank, example, terms), so an early
    decision can be reconstructed from the signals up to a moment, whatever the batch boundaries were;
    finalize() reduces that to a few examples and a term count when the window closes.
    """

    index: int
    counts: Counter[str] = field(default_factory=Counter)
    negatives: Counter[str] = field(default_factory=Counter)
    entries: dict[str, list[tuple[float, int, dict[str, Any], list[str]]]] = field(default_factory=dict)
    terms: dict[str, Counter[str]] = field(default_factory=dict)
    channels: dict[str, Counter[str]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    dirty: bool = False
    closed: bool = False

    def add(self, facts: DocFacts, scope_keys: list[str]) -> bool:
        """Count one signal in its scopes; False when the same id was already counted in this window."""
        if facts.id in self.seen:
            return False
        self.seen.add(facts.id)
        self.dirty = True
        entry = (facts.ts, facts.rank, facts.example(), sorted(facts.terms))
        channel = facts.channel or "?"
        for key in scope_keys:
            self.counts[key] += 1
            if not key.startswith(TOTAL_PREFIX):
                entries = self.entries.get(key)
                if entries is None:
                    entries = self.entries[key] = []
                entries.append(entry)
                per_channel = self.channels.get(key)
                if per_channel is None:
                    per_channel = self.channels[key] = Counter()
                per_channel[channel] += 1
        if facts.sentiment == "negative":
            self.negatives[facts.topic] += 1
        return True

    def times(self, key: str) -> list[float]:
        """Event times of the signals counted for a scope key, earliest first."""
        return sorted(e[0] for e in self.entries.get(key, []))

    def examples_for(self, key: str, limit: int, until: float | None = None) -> list[dict[str, Any]]:
        """Up to `limit` examples for a scope key (a stable pseudo-random choice), optionally up to a time."""
        pool = [e for e in self.entries.get(key, []) if until is None or e[0] <= until]
        pool.sort(key=lambda e: (e[1], e[2]["id"]))
        return [e[2] for e in pool[:limit]]

    def channels_for(self, key: str, until: float | None = None) -> Counter[str]:
        """Signals per channel of a scope key, optionally only those up to a time."""
        if until is None:
            return Counter(self.channels.get(key, {}))
        return Counter(e[2]["channel"] or "?" for e in self.entries.get(key, []) if e[0] <= until)

    def terms_for(self, topic_key: str, until: float | None = None) -> tuple[Counter[str], int]:
        """Term document-frequencies and the number of documents of a topic, optionally up to a time (a closed
        window lies wholly before any `until` the detector asks about, and keeps only its totals)."""
        if self.closed:
            return self.terms.get(topic_key, Counter()), self.counts.get(topic_key, 0)
        counts: Counter[str] = Counter()
        docs = 0
        for ts, _, _, terms in self.entries.get(topic_key, []):
            if until is None or ts <= until:
                counts.update(terms)
                docs += 1
        return counts, docs

    def finalize(self, max_examples: int) -> None:
        """On close: keep only a few examples per scope and the term counts per topic; forget ids."""
        for key, items in self.entries.items():
            if key.split("|", 2)[1] == "topic":
                counts: Counter[str] = Counter()
                for item in items:
                    counts.update(item[3])
                if counts:
                    self.terms[key] = counts
            items.sort(key=lambda e: (e[1], e[2]["id"]))
            self.entries[key] = [(ts, rank, example, []) for ts, rank, example, _ in items[:max_examples]]
        self.seen = set()
        self.closed = True
        self.dirty = False

    def to_state(self) -> dict[str, Any]:
        """JSON-ready state."""
        return {"index": self.index, "counts": dict(self.counts), "negatives": dict(self.negatives),
                "entries": {k: [list(e) for e in v] for k, v in self.entries.items()},
                "terms": {t: dict(c) for t, c in self.terms.items()},
                "channels": {k: dict(c) for k, c in self.channels.items()}, "seen": sorted(self.seen),
                "dirty": self.dirty, "closed": self.closed}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "WindowBucket":
        """Rebuild from to_state output."""
        return cls(index=int(state["index"]), counts=Counter(state.get("counts") or {}),
                   negatives=Counter(state.get("negatives") or {}),
                   entries={k: [(float(e[0]), int(e[1]), dict(e[2]), list(e[3])) for e in v]
                            for k, v in (state.get("entries") or {}).items()},
                   terms={t: Counter(c) for t, c in (state.get("terms") or {}).items()},
                   channels={k: Counter(c) for k, c in (state.get("channels") or {}).items()},
                   seen=set(state.get("seen") or []), dirty=bool(state.get("dirty")),
                   closed=bool(state.get("closed")))

"""Synthetic enriched signals for the dashboard benchmark, tests and screenshots (generated; no real data)."""
from __future__ import annotations

import random
import time
from datetime import datetime, timezone
from typing import Any, Iterator

from pipeline.apps.dashboard.labels import TOPIC_LABELS
from pipeline.enrich.text import stop_words

_SCORES = {"negative": -0.6, "neutral": 0.0, "positive": 0.6}


def _iso(at: datetime | float | str) -> str:
    """ISO 8601 with offset for a datetime, unix seconds or an ISO string."""
    if isinstance(at, str):
        return at
    if isinstance(at, (int, float)):
        at = datetime.fromtimestamp(at, timezone.utc)
    return at.isoformat()


_STOPWORDS = stop_words() | frozenset("niet weer over naar voor door maar echt hier wordt worden graag heeft hebben "
                                      "zijn deze onze wanneer waarom iemand elke alweer nergens hele".split())


def simple_keywords(text: str, limit: int = 5) -> list[str]:
    """Up to `limit` distinct lower-case words of 4+ letters (hashtags without '#'), the enricher's stop words
    left out."""
    words = []
    for raw in text.lower().split():
        word = raw.strip(".,!?:;()\"'#@")
        if len(word) >= 4 and word.isalpha() and word not in _STOPWORDS and word not in words:
            words.append(word)
    return words[:limit]


def enriched_doc(sid: str, at: datetime | float | str, text: str = "Container niet geleegd",
                 topic: str | None = "afval", sentiment: str | None = "negative", place: str | None = None,
                 query: tuple[str, str, bool | None] | None = None, needs_review: bool = False,
                 pii: tuple[str, ...] = (), url: str | None = None, language: str = "nl",
                 keywords: list[str] | None = None, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A minimal valid enriched signal; `sid` is '<channel>:<id>', `query` = (normalized, group, zero_result).

    `keywords` default to simple_keywords(text); `meta` is stored as given.
    """
    channel = sid.split(":", 1)[0]
    doc: dict[str, Any] = {
        "id": sid, "channel": channel, "created_at": _iso(at), "text": text, "pii": list(pii),
        "language": language, "needs_review": needs_review, "place": place,
        "keywords": simple_keywords(text) if keywords is None else keywords,
        "model_version": "test-1", "enriched_at": datetime.now(timezone.utc).isoformat(),
    }
    if meta:
        doc["meta"] = meta
    if topic is not None:
        doc["topic"] = {"code": topic, "label": TOPIC_LABELS.get(topic, topic), "confidence": 0.3 if needs_review else 0.8}
        doc["topics"] = [doc["topic"]]
    if sentiment is not None:
        doc["sentiment"] = {"label": sentiment, "score": _SCORES.get(sentiment, 0.0)}
    if query is not None:
        normalized, group, zero = query
        doc["query"] = {"normalized": normalized, "group": group, "subject": group, "zero_result": zero}
    if url is not None:
        doc["url"] = url
    return doc


# (channel, topic, sentiment, text) written for the dashboard screenshots.
SAMPLE_POSTS: tuple[tuple[str, str, str, str], ...] = (
    ("twitter", "verkeer", "negative", "Alweer een omleiding bij de Slotlaan, niemand weet hoe je nu bij de school komt #wegwerkzaamheden"),
    ("twitter", "afval", "negative", "Onze container is al twee weken niet geleegd, het stinkt in de hele straat"),
    ("facebook", "openbare_ruimte", "negative", "De lantaarnpalen op het fietspad zijn al dagen donker, echt onveilig in de avond"),
    ("facebook", "openbare_ruimte", "positive", "Wat is het park mooi opgeknapt, complimenten aan de groenploeg!"),
    ("call_note", "dienstverlening", "negative", "Mevrouw belt: is vorige week niet teruggebeld over haar melding, wil graag contact. Doorgezet naar KCC."),
    ("call_note", "burgerzaken", "neutral", "Meneer vraagt hoe lang een nieuw paspoort duurt, uitgelegd dat het vijf werkdagen is."),
    ("twitter", "parkeren", "negative", "Waarom kost een bezoekersvergunning ineens het dubbele? Nergens aangekondigd"),
    ("facebook", "overlast", "negative", "Elke nacht geluidsoverlast van scooters op het plein, wanneer wordt hier iets aan gedaan?"),
    ("twitter", "verkeer", "positive", "Top dat de weg eerder klaar is dan gepland, fijn rijden weer"),
    ("call_note", "zorg", "neutral", "Inwoner vraagt naar aanvraag WMO-voorziening, doorverbonden met het sociaal team."),
    ("facebook", "afval", "neutral", "Weet iemand wanneer het grofvuil in onze wijk weer wordt opgehaald?"),
    ("twitter", "dienstverlening", "positive", "Snel en vriendelijk geholpen aan de balie vandaag, dank!"),
    ("call_note", "belastingen", "neutral", "Vraag over de WOZ-beschikking, uitgelegd hoe bezwaar maken werkt."),
    ("twitter", "vergunningen", "neutral", "Hoe lang duurt het voordat een omgevingsvergunning voor een dakkapel rond is?"),
)
SAMPLE_SEARCHES: tuple[tuple[str, str, bool], ...] = (
    ("parkeervergunning", "parkeervergunning", False),
    ("parkeer vergunning", "parkeervergunning", True),
    ("afvalpas kwijt", "afvalpaskwijt", True),
    ("grofvuil", "grofvuil", False),
    ("grof vuil ophalen", "grofvuilophalen", True),
    ("hondenbelasting", "hondenbelasting", True),
    ("paspoort aanvragen", "paspoortaanvragen", False),
    ("subsidie zonnepanelen", "subsidiezonnepanelen", True),
)
SAMPLE_PLACES: tuple[str | None, ...] = ("Centrum", "Kerckebosch", "Vollenhove", "Den Dolder", None, None)


def sample_docs(n: int, end: float, span_seconds: float = 86_400.0, seed: int = 3,
                prefix: str = "s") -> list[dict[str, Any]]:
    """`n` readable docs spread over the `span_seconds` before `end`, with a roadworks spike at the end."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        at = end - span_seconds * (1 - (i + rng.random()) / n)
        if rng.random() < 0.25:
            normalized, group, zero = rng.choice(SAMPLE_SEARCHES)
            docs.append(enriched_doc(f"site_search:{prefix}{i}", at, normalized, topic="dienstverlening",
                                     sentiment="neutral", query=(normalized, group, zero)))
            continue
        spike = i > n * 0.85 and rng.random() < 0.5
        channel, topic, sentiment, text = SAMPLE_POSTS[0] if spike else rng.choice(SAMPLE_POSTS)
        docs.append(enriched_doc(f"{channel}:{prefix}{i}", at, text, topic=topic, sentiment=sentiment,
                                 place="Centrum" if spike else rng.choice(SAMPLE_PLACES),
                                 needs_review=rng.random() < 0.08,
                                 pii=("phone",) if channel == "call_note" and rng.random() < 0.5 else ()))
    return docs


_WORDS = ("container", "niet", "opgehaald", "weg", "afgesloten", "omleiding", "lantaarnpaal", "kapot",
          "paspoort", "afspraak", "wachttijd", "teruggebeld", "parkeren", "vergunning", "geluid", "overlast",
          "stoep", "boom", "gemeente", "vandaag", "al", "weken", "graag", "bedankt", "snel", "geholpen")
_TOPICS = tuple(TOPIC_LABELS)
_CHANNEL_WEIGHTS = {"twitter": 30, "facebook": 20, "call_note": 25, "site_search": 25}


def synthetic_docs(n: int, span_days: float = 180.0, seed: int = 7, end: float | None = None) -> Iterator[dict[str, Any]]:
    """`n` random docs evenly spread over `span_days` up to `end` (default: now), for load tests."""
    rng = random.Random(seed)
    finish = time.time() if end is None else end
    begin = finish - span_days * 86_400
    channels, weights = list(_CHANNEL_WEIGHTS), list(_CHANNEL_WEIGHTS.values())
    for i in range(n):
        at = begin + (finish - begin) * i / max(1, n - 1)
        channel = rng.choices(channels, weights)[0]
        sentiment = rng.choice(("negative", "negative", "neutral", "positive"))
        if channel == "site_search":
            normalized, group, _zero = rng.choice(SAMPLE_SEARCHES)
            yield enriched_doc(f"{channel}:{i}", at, normalized, topic=rng.choice(_TOPICS), sentiment=sentiment,
                               query=(normalized, group, rng.random() < 0.3))
        else:
            text = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 25)))
            meta = None
            if channel == "call_note" and i % 20 == 0:
                meta = {"callback": True, "called_back": i % 60 == 0}
            elif channel in ("twitter", "facebook") and i % 50 == 0:
                text = f"@gemeentezeist {text}?"
                meta = {"replied_by_municipality": i % 150 == 0}
            yield enriched_doc(f"{channel}:{i}", at, text, topic=rng.choice(_TOPICS), sentiment=sentiment,
                               place=rng.choice(SAMPLE_PLACES), meta=meta)

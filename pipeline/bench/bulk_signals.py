"""Synthetic enriched signals generated column-wise (numpy) for large bench stores: the same mix as
`synthetic_signals.synthetic_docs` (channels, topics, sentiments, places, 6-25 random words, site searches,
messages addressed to the municipality), with texts drawn from a pool so millions of rows cost seconds."""
from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator

import numpy as np

from pipeline.apps.dashboard.labels import TOPIC_LABELS
from pipeline.bench.synthetic_signals import (
    _CHANNEL_WEIGHTS,
    _SCORES,
    _WORDS,
    SAMPLE_PLACES,
    SAMPLE_SEARCHES,
    simple_keywords,
)
from pipeline.sinks.sqlite.store import encode_doc

TEXT_POOL = 1 << 12
BLOCK = 1 << 14
ACCOUNT_MENTION = "@gemeentezeist"
CHANNELS: tuple[str, ...] = tuple(_CHANNEL_WEIGHTS)
SEARCH = CHANNELS.index("site_search")
SENTIMENT_CHOICES: tuple[str, ...] = ("negative", "negative", "neutral", "positive")
TOPICS: tuple[str, ...] = tuple(TOPIC_LABELS)


def _dumps(value: Any) -> str:
    """Compact JSON, as the store encodes docs."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class BulkRow:
    """One generated signal: what the store's columns and side rows need, and its doc as stored JSON."""

    id: str
    channel: str
    created_at: str  # ISO with Z, as the store keeps it
    ts: float
    topic: str
    sentiment: str
    place: str | None
    text: str
    query: tuple[str, str, int] | None  # normalized, group, zero 0/1
    keywords: tuple[str, ...]
    meta: dict[str, Any] | None
    doc: str


class BulkSignals:
    """Generates `n` signals evenly spread over `span_days` up to `end`, in chunks, reproducibly from `seed`."""

    def __init__(self, n: int, span_days: float = 180.0, seed: int = 7, end: float | None = None) -> None:
        """Fix the time span and draw the text pool."""
        self.n = n
        finish = time.time() if end is None else end
        self.end_us = int(round(finish * 1_000_000))
        self.begin_us = self.end_us - int(round(span_days * 86_400 * 1_000_000))
        self.seed = seed
        self.enriched_at = datetime.now(timezone.utc).isoformat()
        pool = random.Random(seed)
        self.texts = [" ".join(pool.choice(_WORDS) for _ in range(pool.randint(6, 25))) for _ in range(TEXT_POOL)]
        self.keywords = [tuple(simple_keywords(text)) for text in self.texts]
        self.text_json = [_dumps(text) for text in self.texts]
        self.keyword_json = [_dumps(list(k)) for k in self.keywords]
        self.topic_json = {code: _dumps({"code": code, "label": TOPIC_LABELS.get(code, code), "confidence": 0.8})
                           for code in TOPICS}
        self.search_keywords = [tuple(simple_keywords(q[0])) for q in SAMPLE_SEARCHES]
        self.search_json = [(_dumps(q[0]), _dumps(list(k)), _dumps(q[1])) for q, k in zip(SAMPLE_SEARCHES,
                                                                                            self.search_keywords)]
        self.place_json = [_dumps(place) for place in SAMPLE_PLACES]

    def chunks(self, size: int = 100_000) -> Iterator[list[BulkRow]]:
        """All rows, oldest first, `size` at a time."""
        for first in range(0, self.n, size):
            yield self.rows(first, min(self.n, first + size))

    def rows(self, first: int, last: int) -> list[BulkRow]:
        """Rows with index first..last-1; the same index always gives the same row, however the rows are chunked."""
        index = np.arange(first, last, dtype=np.int64)
        span = self.end_us - self.begin_us
        micros = self.begin_us + np.round(index * (span / max(1, self.n - 1))).astype(np.int64)
        stamps = np.datetime_as_string(micros.astype("datetime64[us]"), unit="us")
        columns = [index.tolist(), micros.tolist(), stamps.tolist(), *(c.tolist() for c in self._draws(first, last))]
        return [self._row(*values) for values in zip(*columns)]

    def _draws(self, first: int, last: int) -> list[np.ndarray]:
        """Channel, sentiment, topic, place, text, search and zero-result draws of rows first..last-1, made per
        block of BLOCK rows with the block's own random stream."""
        parts: list[list[np.ndarray]] = []
        for block in range(first // BLOCK, (last - 1) // BLOCK + 1):
            rng = np.random.default_rng([self.seed, block])
            weights = np.array(list(_CHANNEL_WEIGHTS.values()), dtype=float)
            columns = [rng.choice(len(CHANNELS), size=BLOCK, p=weights / weights.sum()),
                       rng.integers(0, len(SENTIMENT_CHOICES), size=BLOCK), rng.integers(0, len(TOPICS), size=BLOCK),
                       rng.integers(0, len(SAMPLE_PLACES), size=BLOCK), rng.integers(0, TEXT_POOL, size=BLOCK),
                       rng.integers(0, len(SAMPLE_SEARCHES), size=BLOCK), rng.random(size=BLOCK) < 0.3]
            lo, hi = max(first, block * BLOCK) - block * BLOCK, min(last, (block + 1) * BLOCK) - block * BLOCK
            parts.append([column[lo:hi] for column in columns])
        return [np.concatenate([part[c] for part in parts]) for c in range(7)]

    def _row(self, i: int, micros: int, stamp: str, channel: int, sentiment: int, topic: int, place: int,
             text: int, search: int, zero: int) -> BulkRow:
        """One row from its drawn numbers (the rules of synthetic_docs)."""
        name = CHANNELS[channel]
        if stamp.endswith(".000000"):
            stamp = stamp[:-7]  # as datetime.isoformat() writes a whole second
        sid = f"{name}:{i}"
        label = SENTIMENT_CHOICES[sentiment]
        code = TOPICS[topic]
        meta: dict[str, Any] | None = None
        query: tuple[str, str, int] | None = None
        where: str | None = None
        if channel == SEARCH:
            normalized, group, _zero = SAMPLE_SEARCHES[search]
            body, keywords, query = normalized, self.search_keywords[search], (normalized, group, int(zero))
            body_json, keywords_json, _group_json = self.search_json[search]
        else:
            where = SAMPLE_PLACES[place]
            body, keywords = self.texts[text], self.keywords[text]
            body_json, keywords_json = self.text_json[text], self.keyword_json[text]
            if name == "call_note" and i % 20 == 0:
                meta = {"callback": True, "called_back": i % 60 == 0}
            elif name in ("twitter", "facebook") and i % 50 == 0:
                body = f"{ACCOUNT_MENTION} {body}?"
                keywords = tuple(simple_keywords(body))
                body_json, keywords_json = _dumps(body), _dumps(list(keywords))
                meta = {"replied_by_municipality": i % 150 == 0}
        parts = [f'{{"id":"{sid}","channel":"{name}","created_at":"{stamp}+00:00","text":{body_json},'
                 f'"pii":[],"language":"nl","needs_review":false,"place":{self.place_json[place] if where else "null"},'
                 f'"keywords":{keywords_json},"model_version":"test-1","enriched_at":"{self.enriched_at}"']
        if meta:
            parts.append(f',"meta":{_dumps(meta)}')
        topic_json = self.topic_json[code]
        parts.append(f',"topic":{topic_json},"topics":[{topic_json}],'
                     f'"sentiment":{{"label":"{label}","score":{_SCORES[label]}}}')
        if query is not None:
            parts.append(f',"query":{{"normalized":{body_json},"group":{self.search_json[search][2]},'
                         f'"zero_result":{"true" if query[2] else "false"}}}')
        parts.append("}")
        return BulkRow(sid, name, f"{stamp}Z", micros / 1_000_000, code, label, where, body, query, keywords, meta,
                       "".join(parts))


def as_doc(row: BulkRow) -> dict[str, Any]:
    """The row as an enriched doc (for writing it through the store instead)."""
    return dict(json.loads(row.doc))


def check_encoding(row: BulkRow) -> bool:
    """True when the row's JSON is exactly what the store would write for its doc."""
    return encode_doc(as_doc(row)) == row.doc

"""The context an alert carries: example signals and the terms that are new, taken from recent windows."""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

from pipeline.alerts.terms import TermBackground, new_terms
from pipeline.alerts.windows import WindowBucket


def pick_examples(buckets: Iterable[WindowBucket], scope_key: str, limit: int, prefer_negative: bool = False,
                  until: float | None = None) -> list[dict[str, Any]]:
    """Up to `limit` examples from the buckets (newest first), no repeated ids or texts."""
    pool: list[dict[str, Any]] = []
    for bucket in buckets:
        pool.extend(bucket.examples_for(scope_key, limit, until))
    if prefer_negative:
        pool.sort(key=lambda e: e.get("sentiment") != "negative")
    out: list[dict[str, Any]] = []
    ids: set[str] = set()
    texts: set[str] = set()
    for item in pool:
        if item["id"] in ids or item["text"] in texts:
            continue
        ids.add(item["id"])
        texts.add(item["text"])
        out.append(item)
        if len(out) >= limit:
            break
    return out


def pick_new_terms(buckets: Iterable[WindowBucket], topic_key: str, background: TermBackground | None,
                   limit: int, until: float | None = None) -> list[str]:
    """Terms of the topic that are unusually frequent in these buckets compared with the background."""
    counts: list[Counter[str]] = []
    docs = 0
    for bucket in buckets:
        window_counts, window_docs = bucket.terms_for(topic_key, until)
        counts.append(window_counts)
        docs += window_docs
    return new_terms(counts, docs, background, limit)

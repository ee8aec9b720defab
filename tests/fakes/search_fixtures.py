"""Hand-made enriched site searches for tests and demos of the review (grouped with the real grouping code)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from pipeline.enrich.search_query import analyse_query


def search_doc(text: str, at: float, results: int | None = 0, topic: str | None = None,
               sid: str | None = None) -> dict[str, Any]:
    """A minimal enriched site_search doc at unix time `at`; `results` None means the count is unknown."""
    meta: dict[str, Any] = {} if results is None else {"results": results}
    created = datetime.fromtimestamp(at, timezone.utc).isoformat()
    ident = sid or "site_search:" + hashlib.sha1(f"{text}|{at}|{results}".encode()).hexdigest()[:20]
    doc: dict[str, Any] = {
        "id": ident, "channel": "site_search", "created_at": created, "text": text, "meta": meta, "pii": [],
        "language": "nl", "needs_review": False, "place": None, "keywords": [],
        "query": analyse_query(text, meta), "model_version": "search-fixture",
        "enriched_at": datetime.now(timezone.utc).isoformat(),
    }
    if topic is not None:
        doc["topic"] = {"code": topic, "label": topic, "confidence": 0.8}
    return doc


def repeated(text: str, times: int, start: float, step: float = 60.0, results: int | None = 0,
             topic: str | None = None) -> list[dict[str, Any]]:
    """`times` searches for `text`, `step` seconds apart from `start`, each with its own id."""
    return [search_doc(text, start + i * step, results, topic, sid=None if times == 1 else
                       "site_search:" + hashlib.sha1(f"{text}|{start}|{i}|{results}".encode()).hexdigest()[:20])
            for i in range(times)]

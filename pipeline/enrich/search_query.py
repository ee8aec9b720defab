"""Site-search queries: normalisation, a group key shared by spelling variants, its subject, the zero-result flag.

The grouping itself lives in `pipeline.enrich.query.grouping` (vocabulary, typo tolerance, compounds);
this module is the enricher's entry point and stays cheap per call (every step is cached).
"""
from __future__ import annotations

import logging
from typing import Any

from pipeline.enrich.query.grouping import default_grouper
from pipeline.enrich.query.normalise import fold

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 500


def normalize_query(text: str) -> str:
    """Lower-case, strip diacritics and punctuation, collapse white space."""
    return fold(text)


def group_key(normalized: str) -> str:
    """The stable group key of a normalized query: equal for spelling, spacing, typo and inflection variants."""
    return default_grouper().key(normalized)


def subject_key(group: str) -> str:
    """The subject a group rolls up onto ("paspoort aanvragen" and "verlopen paspoort" -> "paspoort")."""
    return default_grouper().subject(group)


def zero_result(meta: dict[str, Any]) -> bool | None:
    """True when the site reported no results, None when the count is unknown."""
    results = meta.get("results") if isinstance(meta, dict) else None
    if isinstance(results, str) and results.strip().isdigit():
        results = int(results.strip())
    if isinstance(results, bool) or not isinstance(results, (int, float)):
        return None
    return results == 0


def analyse_query(text: str, meta: dict[str, Any]) -> dict[str, Any]:
    """The `query` field of an enriched site search: {"normalized", "group", "subject", "zero_result"}."""
    if not isinstance(text, str):
        log.warning("site search text is %s, not a string; treated as empty", type(text).__name__)
        text = ""
    normalized = normalize_query(text[:MAX_QUERY_CHARS])
    group = group_key(normalized)
    return {"normalized": normalized, "group": group, "subject": subject_key(group),
            "zero_result": zero_result(meta or {})}

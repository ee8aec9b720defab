"""Site-search queries: normalisation, a group key shared by spelling variants, and the zero-result flag."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalize_query(text: str) -> str:
    """Lower-case, strip diacritics and punctuation, collapse white space."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", folded).split())


def group_key(normalized: str) -> str:
    """A stable key equal for simple spacing variants (replaced by real grouping later)."""
    return normalized.replace(" ", "")


def zero_result(meta: dict[str, Any]) -> bool | None:
    """True when the site reported no results, None when the count is unknown."""
    results = meta.get("results")
    if isinstance(results, bool) or not isinstance(results, (int, float)):
        return None
    return results == 0


def analyse_query(text: str, meta: dict[str, Any]) -> dict[str, Any]:
    """The `query` field of an enriched site search."""
    normalized = normalize_query(text)
    return {"normalized": normalized, "group": group_key(normalized), "zero_result": zero_result(meta)}

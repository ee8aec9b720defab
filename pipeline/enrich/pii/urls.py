"""URLs lose their query string and fragment: `?email=...&tel=...` carries personal data, the address does not."""
from __future__ import annotations

import re

_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+")
_QUERY = re.compile(r"[?#].*$", re.DOTALL)


def strip_url(url: str) -> str:
    """The URL without query string and fragment."""
    return _QUERY.sub("", url)


def strip_query(text: str) -> tuple[str, bool]:
    """Every URL in `text` without its query string and fragment; True when something was removed."""
    changed = False

    def cut(match: re.Match[str]) -> str:
        nonlocal changed
        url = match.group()
        bare = strip_url(url)
        changed |= bare != url
        return bare

    return _URL.sub(cut, text), changed

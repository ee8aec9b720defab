"""Place detection: the neighbourhood given in meta, named in the text, or implied by a known street."""
from __future__ import annotations

import json
from typing import Any

from pipeline.enrich.text import bare, read_data, tokenize

META_KEY = "neighbourhood"
MAX_META_CHARS = 100
MAX_NAME_WORDS = 4


def bundled_streets(municipality: str) -> dict[str, list[str]]:
    """Street names per neighbourhood for `municipality` from data/places.json (empty when not listed)."""
    table = json.loads(read_data("places.json"))
    for name, streets in table.items():
        if not name.startswith("_") and name.lower() == municipality.strip().lower():
            return streets
    return {}


def _key(name: str) -> tuple[str, ...]:
    """The token sequence a place name is matched on."""
    return tuple(bare(t) for t in tokenize(name) if t[:1].isalnum() or t[:1] == "#")


class PlaceFinder:
    """Finds the neighbourhood of a signal by token n-gram lookup (fast, case-insensitive)."""

    def __init__(self, neighbourhoods: list[str], streets: dict[str, list[str]] | None = None) -> None:
        self._canonical = {n.strip().lower(): n.strip() for n in neighbourhoods if n and n.strip()}
        self._names: dict[tuple[str, ...], str] = {}
        for name in self._canonical.values():
            self._add(name, name)
        for neighbourhood, street_names in (streets or {}).items():
            target = self._canonical.get(neighbourhood.lower(), neighbourhood)
            for street in street_names:
                self._add(street, target)
        self._first = frozenset(key[0] for key in self._names) | frozenset(
            "#" + key[0] for key in self._names if len(key) == 1)
        # tokens whose bare form (without "#") starts a name
        self._starts = self._first | frozenset("#" + word for word in self._first)
        self._longest = max((len(k) for k in self._names), default=0)

    def _add(self, name: str, neighbourhood: str) -> None:
        """Index a name as its tokens and, for multi-word names, also written as one word (a hashtag)."""
        key = _key(name)
        if not key or len(key) > MAX_NAME_WORDS:
            return
        self._names[key] = neighbourhood
        if len(key) > 1:
            self._names[("".join(key),)] = neighbourhood

    def find(self, tokens: list[str], meta: dict[str, Any] | None = None) -> str | None:
        """The neighbourhood from meta["neighbourhood"], else the first one named or implied in the tokens."""
        from_meta = self.from_meta(meta)
        if from_meta:
            return from_meta
        names, first = self._names, self._first
        if first.isdisjoint(tokens):
            return None
        words: list[str] | None = None
        starts = self._starts
        for i, token in enumerate(tokens):
            if token not in starts:
                continue
            if words is None:
                words = [bare(t) for t in tokens]
            for size in range(min(self._longest, len(tokens) - i), 0, -1):
                found = names.get(tuple(words[i:i + size]))
                if found:
                    return found
        return None

    def find_in_text(self, text: str, meta: dict[str, Any] | None = None) -> str | None:
        """Like find(), for a text that is not tokenised yet."""
        return self.find(tokenize(text), meta)

    def from_meta(self, meta: dict[str, Any] | None) -> str | None:
        """A neighbourhood given by the source, canonicalised when it is a known one."""
        if not meta:
            return None
        value = meta.get(META_KEY)
        if not isinstance(value, str) or not value.strip():
            return None
        value = value.strip()[:MAX_META_CHARS]
        return self._canonical.get(value.lower(), value)

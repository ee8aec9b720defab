"""Keywords: up to five informative terms of a text, as lower-cased surface forms."""
from __future__ import annotations

from itertools import repeat
from typing import Iterable

from pipeline.enrich.text import bare, stem_tokens, stop_words

MAX_KEYWORDS = 5
MIN_LENGTH = 3
TOPICAL_BONUS = 1.5
HASHTAG_BONUS = 0.5
LONG_WORD_BONUS = 0.3
LONG_WORD = 8
_UNSEEN = ("", 0.0)   # marks a token without a cached profile (None is a cached "not a keyword")


class KeywordExtractor:
    """Ranks word and hashtag tokens: topic keywords first, then hashtags and long words, then by position."""

    def __init__(self, extra_stop_words: Iterable[str] = ()) -> None:
        self._stop = stop_words() | frozenset(w.lower() for w in extra_stop_words)
        self._profiles: dict[str, tuple[str, float] | None] = {}

    def extract(self, tokens: list[str], topical: frozenset[int] | set[int] = frozenset(),
                limit: int = MAX_KEYWORDS, stems: list[str] | None = None) -> list[str]:
        """Keywords of a token list; `topical` holds positions that matched a topic keyword."""
        if stems is None or len(stems) != len(tokens):
            stems = stem_tokens(tokens)
        profiles = list(map(self._profiles.get, tokens, repeat(_UNSEEN)))   # looked up in C
        scored: list[tuple[float, int, str]] = []
        seen: set[str] = set()
        for i, profile in enumerate(profiles):
            if profile is None:
                continue
            if profile is _UNSEEN:
                profile = self._profile(tokens[i])
                if profile is None:
                    continue
            key = stems[i]
            if key in seen:
                continue
            seen.add(key)
            word, score = profile
            scored.append((-score - TOPICAL_BONUS if i in topical else -score, i, word))
        scored.sort()
        return [word for _, _, word in scored[:limit]]

    def _profile(self, token: str) -> tuple[str, float] | None:
        """(keyword form, base score) of a token, or None when it cannot be a keyword; cached."""
        profile: tuple[str, float] | None = None
        first = token[:1]
        if first.isalpha() or first == "#":
            word = bare(token)
            if (len(word) >= MIN_LENGTH and word not in self._stop and word[:1].isalpha()
                    and "://" not in word and not word.startswith("www.")):
                score = 1.0 + (HASHTAG_BONUS if first == "#" else 0.0) + (LONG_WORD_BONUS if len(word) >= LONG_WORD else 0.0)
                profile = (word, score)
        if len(self._profiles) >= 200_000:
            self._profiles.clear()
        self._profiles[token] = profile
        return profile

"""Language identification ("nl", "en" or "other") by overlap with short function-word lists."""
from __future__ import annotations

import json

from pipeline.enrich.text import read_data

DUTCH = "nl"
ENGLISH = "en"
OTHER = "other"
SHORT_TEXT_WORDS = 3


def _load_function_words() -> dict[str, str]:
    """Map each function word to its language; words listed for two languages are dropped."""
    lists = json.loads(read_data("function_words.json"))
    owner: dict[str, str] = {}
    shared: set[str] = set()
    for lang, words in lists.items():
        if lang.startswith("_"):
            continue
        for word in words:
            word = word.lower()
            if word in owner and owner[word] != lang:
                shared.add(word)
            owner[word] = lang
    for word in shared:
        del owner[word]
    return owner


def all_function_words() -> frozenset[str]:
    """Every word on any of the function-word lists (also the shared ones), for stop-word filtering."""
    lists = json.loads(read_data("function_words.json"))
    return frozenset(w.lower() for lang, words in lists.items() if not lang.startswith("_") for w in words)


class LanguageDetector:
    """Counts function words per language; Dutch wins ties and is the default for short texts."""

    def __init__(self) -> None:
        by_language: dict[str, set[str]] = {}
        for word, lang in _load_function_words().items():
            by_language.setdefault(lang, set()).add(word)
        self._dutch = frozenset(by_language.pop(DUTCH, set()))
        self._english = frozenset(by_language.pop(ENGLISH, set()))
        self._other_owner = {word: lang for lang, words in by_language.items() for word in words}
        self._other_words = frozenset(self._other_owner)

    def detect(self, tokens: list[str], site_search: bool = False) -> str:
        """The language of a tokenised text: "nl", "en" or "other" (distinct function words per language)."""
        vocabulary = set(tokens)
        nl = len(self._dutch.intersection(vocabulary))
        en = len(self._english.intersection(vocabulary))
        if site_search or len(tokens) <= SHORT_TEXT_WORDS:
            return ENGLISH if en >= 2 and nl == 0 and en > self._other_hits(vocabulary) else DUTCH
        other = self._other_hits(vocabulary)
        if nl == en == other == 0:
            words = [t for t in tokens if t[:1].isalpha()]
            return OTHER if words and self._mostly_non_latin(words) else DUTCH
        if nl >= en and nl >= other:
            return DUTCH
        if en >= other and en >= 2:
            return ENGLISH
        if other >= 2:
            return OTHER
        return DUTCH

    def _other_hits(self, vocabulary: set[str]) -> int:
        """The largest function-word overlap with any language other than Dutch and English."""
        common = self._other_words.intersection(vocabulary)
        if not common:
            return 0
        counts: dict[str, int] = {}
        for word in common:
            lang = self._other_owner[word]
            counts[lang] = counts.get(lang, 0) + 1
        return max(counts.values())

    @staticmethod
    def _mostly_non_latin(words: list[str]) -> bool:
        """True when most letters are outside the Latin script blocks (e.g. Arabic, Cyrillic)."""
        latin = non_latin = 0
        for word in words:
            for ch in word:
                if ch.isalpha():
                    if ord(ch) < 0x250:
                        latin += 1
                    else:
                        non_latin += 1
        return non_latin > latin

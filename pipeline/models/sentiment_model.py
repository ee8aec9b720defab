"""Supervised sentiment on top of the lexicon: n-gram TF-IDF + lexicon features -> logistic regression."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

from pipeline.models.model_dir import SENTIMENT_FORMAT, ModelDirError, load_estimator, save_model_dir
from pipeline.models.sentiment_blocks import BlockLogisticRegression
from pipeline.models.sentiment_features import FEATURE_NAMES, ClipValues, LexiconFeatures
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
# Never below 1: real text is harder than the rows the temperature is fitted on, so never sharpen.
TEMPERATURE_GRID: tuple[float, ...] = tuple(round(1.0 + 0.1 * i, 1) for i in range(41))   # 1.0 .. 5.0
CALIBRATION_FOLDS = 5


def normalise_sentiment_label(value: str) -> str | None:
    """'neg', 'negatief', '-1' -> 'negative' (and so on); None for anything else."""
    return _ALIASES.get(str(value).strip().lower())


def build_sentiment_pipeline(params: dict[str, Any] | None = None) -> Pipeline:
    """The untrained supervised sentiment pipeline."""
    p = {**DEFAULT_SENTIMENT_PARAMS, **(params or {})}
    ngrams = NgramTfidf(word_ngrams=tuple(p["word_ngrams"]) if p["word_ngrams"] else None,
                        char_ngrams=tuple(p["char_ngrams"]) if p["char_ngrams"] else None, min_df=p["min_df"],
                        max_df=p.get("max_df"))
    steps: list[tuple[str, Any]] = [("lexicon", LexiconFeatures()), ("scale", StandardScaler())]
    if p.get("dense_clip"):
        steps.append(("clip", ClipValues(float(p["dense_clip"]))))
    lexicon = Pipeline(steps)
    features = FeatureUnion([("ngrams", ngrams), ("lexicon", lexicon)],
                            transformer_weights={"ngrams": 1.0, "lexicon": p["lexicon_weight"]})
    classifier: Any = LogisticRegression(C=p["C"], class_weight="balanced", max_iter=2000)
    if p.get("block_ensemble"):
        classifier = BlockLogisticRegression(C=p["C"], last_C=float(p.get("cue_C", 1.0)))
    return Pipeline([("features", features), ("classifier", classifier)])


def fit_sentiment_pipeline(texts: Sequence[str], labels: Sequence[str],
                           params: dict[str, Any] | None = None) -> Pipeline:
    """Build and fit the pipeline; a block ensemble learns where the word, char and cue blocks start first."""
    pipeline = build_sentiment_pipeline(params)
    classifier = pipeline.named_steps["classifier"]
    if not isinstance(classifier, BlockLogisticRegression):
        return pipeline.fit(list(texts), list(labels))
    union = pipeline.named_steps["features"]
    matrix = union.fit_transform(list(texts), list(labels))
    ngrams = dict(union.transformer_list)["ngrams"]
    classifier.set_params(blocks=(int(ngrams.n_word_features_), int(ngrams.n_features_out_)))
    classifier.fit(matrix, list(labels))
    return pipeline


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of logits divided by `temperature`."""
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, truth: Sequence[int], grid: Sequence[float] = TEMPERATURE_GRID) -> float:
    """The temperature on `grid` with the lowest log-loss of softmax(logits / T) against the true class indices."""
    rows = np.arange(len(truth))
    index = np.asarray(truth)
    losses = [-np.log(softmax(logits, t)[rows, index] + 1e-12).mean() for t in grid]
    return float(grid[int(np.argmin(losses))])


class SupervisedSentiment:
    """A fitted sentiment pipeline with the lexicon scorer's interface: score(text) -> (label, score in -1..1)."""

    def __init__(self, pipeline: Pipeline, version: str = "sentiment-supervised", temperature: float = 1.0) -> None:
        """Wrap a fitted pipeline whose classes include negative, neutral and positive; `temperature` softens
        its probabilities (fitted on out-of-fold predictions, see `train_sentiment`)."""
        self.pipeline = pipeline
        self.version = version
        self.temperature = float(temperature)
        classes = [str(c) for c in pipeline.classes_]
        missing = set(SENTIMENT_LABELS) - set(classes)
        if missing:
            raise ValueError(f"sentiment model lacks label(s) {sorted(missing)}; it knows {classes}")
        self._neg, self._pos = classes.index(NEGATIVE), classes.index(POSITIVE)
        self.classes = classes

    def proba(self, texts: Sequence[str], tokens: Sequence[list[str]] | None = None,
              stems: Sequence[list[str]] | None = None) -> np.ndarray:
        """Class probabilities per text, columns in `classes` order; `tokens`/`stems` are the enricher's."""
        if not len(texts):
            return np.zeros((0, len(self.classes)))
        return softmax(self.decision(texts, tokens, stems), self.temperature)

    def decision(self, texts: Sequence[str], tokens: Sequence[list[str]] | None = None,
                 stems: Sequence[list[str]] | None = None) -> np.ndarray:
        """Decision values per text (one column per class), computed in one pass over the batch."""
        clean = [t if isinstance(t, str) else "" for t in texts]
        fast = self._fast_parts()
        if fast is None:
            return np.asarray(self.pipeline.decision_function(clean), dtype=float)
        if tokens is not None and (len(tokens) != len(clean) or stems is None or len(stems) != len(clean)):
            tokens = stems = None
        ngrams, lexicon, mean, scale, bound, coef_ngrams, coef_lexicon, intercept = fast
        dense = (lexicon.transform(clean, tokens=tokens, stems=stems) - mean) / scale
        if bound is not None:
            np.clip(dense, -bound, bound, out=dense)
        return np.asarray(ngrams.transform(clean) @ coef_ngrams) + dense @ coef_lexicon + intercept

    def _fast_parts(self) -> tuple[Any, ...] | None:
        """The fitted steps of the standard pipeline as arrays (weights folded in), or None for another shape."""
        if hasattr(self, "_fast"):
            return self._fast
        self._fast: tuple[Any, ...] | None = None
        try:
            union, classifier = self.pipeline.named_steps["features"], self.pipeline.named_steps["classifier"]
            parts = dict(union.transformer_list)
            weights = union.transformer_weights or {}
            ngrams, lexicon_pipe = parts["ngrams"], parts["lexicon"]
            lexicon, scaler = lexicon_pipe.named_steps["lexicon"], lexicon_pipe.named_steps["scale"]
            clip = lexicon_pipe.named_steps.get("clip")
            if [name for name, _ in lexicon_pipe.steps] not in (["lexicon", "scale"], ["lexicon", "scale", "clip"]):
                return None
            n_ngrams = int(ngrams.n_features_out_)
            coef = np.asarray(classifier.coef_, dtype=float)
            if (list(parts) != ["ngrams", "lexicon"] or not isinstance(lexicon, LexiconFeatures)
                    or coef.shape[0] != len(self.classes) or coef.shape[1] != n_ngrams + len(FEATURE_NAMES)):
                return None
            self._fast = (ngrams, lexicon, scaler.mean_, scaler.scale_,
                          float(clip.bound) if isinstance(clip, ClipValues) else None,
                          (coef[:, :n_ngrams] * weights.get("ngrams", 1.0)).T.copy(),
                          (coef[:, n_ngrams:] * weights.get("lexicon", 1.0)).T.copy(),
                          np.asarray(classifier.intercept_, dtype=float))
        except (AttributeError, KeyError, TypeError, ValueError):
            log.debug("sentiment: no fast path for this pipeline; using it as it is", exc_info=True)
        return self._fast

    def score_many(self, texts: Sequence[str], tokens: Sequence[list[str]] | None = None,
                   stems: Sequence[list[str]] | None = None) -> list[tuple[str, float]]:
        """(label, score) per text; score = P(positive) - P(negative). Batch this: it is much faster than score().

        `tokens` and `stems` (the enricher's, one list per text) save tokenising each text again."""
        proba = self.proba(texts, tokens, stems)
        if not len(proba):
            return []
        scores = (proba[:, self._pos] - proba[:, self._neg]).round(3)
        classes = self.classes
        return [(classes[b], s) for b, s in zip(proba.argmax(axis=1).tolist(), scores.tolist())]

    def score(self, text: str, tokens: list[str] | None = None, stems: list[str] | None = None) -> tuple[str, float]:
        """(label, score) for one text, with its tokens and stems when already computed."""
        if tokens is not None and stems is not None:
            return self.score_many([text], [tokens], [stems])[0]
        return self.score_many([text])[0]


def fold_splits(labels: Sequence[str], folds: int, seed: int = 0,
                groups: Sequence[str] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified (train, test) index pairs; rows that share a group (a sentence and its variants) stay together."""
    dummy = np.zeros(len(labels))
    if groups is not None:
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        return list(splitter.split(dummy, list(labels), list(groups)))
    return list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(dummy, list(labels)))


def out_of_fold_temperature(texts: Sequence[str], labels: Sequence[str], params: dict[str, Any] | None = None,
                            folds: int = CALIBRATION_FOLDS, seed: int = 0,
                            groups: Sequence[str] | None = None) -> float:
    """The softmax temperature that best fits out-of-fold decision values of the pipeline on these rows."""
    texts, labels = list(texts), list(labels)
    smallest = min(labels.count(label) for label in set(labels))
    folds = min(folds, smallest)
    if folds < 2:
        return 1.0
    classes = sorted(set(labels))
    logits = np.zeros((len(texts), len(classes)))
    for train_idx, test_idx in fold_splits(labels, folds, seed, groups):
        pipeline = fit_sentiment_pipeline([texts[i] for i in train_idx], [labels[i] for i in train_idx], params)
        logits[test_idx] = pipeline.decision_function([texts[i] for i in test_idx])
    return fit_temperature(logits, [classes.index(label) for label in labels])


def train_sentiment(texts: Sequence[str], labels: Sequence[str], params: dict[str, Any] | None = None,
                    version: str | None = None, calibrate: bool = False,
                    groups: Sequence[str] | None = None, min_temperature: float = 1.0) -> SupervisedSentiment:
    """Fit the supervised sentiment pipeline on labelled texts (labels: negative/neutral/positive).

    With `calibrate`, a softmax temperature is fitted on 5-fold out-of-fold predictions first; it changes the
    confidences and scores, never the predicted label. `groups` keeps related rows in one fold;
    `min_temperature` is a floor for text that is harder than the training rows.
    """
    temperature = out_of_fold_temperature(texts, labels, params, groups=groups) if calibrate else 1.0
    temperature = max(temperature, min_temperature)
    pipeline = fit_sentiment_pipeline(texts, labels, params)
    created = datetime.now(UTC)
    return SupervisedSentiment(pipeline, version or f"sentiment-{created:%Y%m%d%H%M}", temperature)


def save_sentiment_model(model: SupervisedSentiment, directory: str | Path, metadata: dict[str, Any]) -> Path:
    """Write the model directory (model.joblib + metadata.json)."""
    meta = {"format": SENTIMENT_FORMAT, "kind": "sentiment", "version": model.version, "labels": model.classes,
            "temperature": model.temperature, **metadata}
    return save_model_dir(directory, model.pipeline, meta)


def load_sentiment_model(directory: str | Path) -> SupervisedSentiment:
    """A SupervisedSentiment from a model directory."""
    pipeline, meta = load_estimator(directory, SENTIMENT_FORMAT)
    try:
        return SupervisedSentiment(pipeline, str(meta.get("version", "sentiment")),
                                   float(meta.get("temperature", 1.0)))
    except (AttributeError, TypeError, ValueError) as err:
        raise ModelDirError(f"{directory}: not a usable sentiment model ({err})") from None

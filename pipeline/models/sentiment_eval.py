"""Evaluate sentiment on a labelled file: the bundled model, the lexicon alone, or k-fold CV of the supervised model."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from pipeline.models.corpus_builder import SENTIMENT_FILE, corpus_dir
from pipeline.models.labelled_data import LabelledData, LabelledDataError, read_labelled_csv
from pipeline.models.report import EvaluationReport, evaluate_predictions
from pipeline.models.sentiment_features import NEGATORS, WORD, pattern_lexicon
from pipeline.models.sentiment_model import (
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    SENTIMENT_LABELS,
    SupervisedSentiment,
    fold_splits,
    load_sentiment_model,
    normalise_sentiment_label,
    train_sentiment,
)

log = logging.getLogger(__name__)

CV_SEED = 0
PATTERN_THRESHOLD = 0.1


@dataclass(slots=True)
class SentimentEvaluation:
    """The supervised model's report and, for reference, the lexicon scorer's macro-F1 on the same rows."""

    report: EvaluationReport
    method: str
    lexicon_macro_f1: float | None

    def to_text(self, title: str) -> str:
        """Printable report."""
        text = self.report.to_text(f"{title} ({self.method})")
        if self.lexicon_macro_f1 is not None:
            text += f"\nlexicon scorer alone on the same rows: macro-F1 {self.lexicon_macro_f1:.3f}"
        return text


def read_sentiment_file(path: str | Path, text_column: str = "text", label_column: str = "label") -> LabelledData:
    """Rows with a text and a label that normalises to negative/neutral/positive (others skipped and logged)."""
    data = read_labelled_csv(path, text_column, label_column)
    keep, unknown = [], {}
    for i, label in enumerate(data.labels):
        norm = normalise_sentiment_label(label)
        if norm is None:
            unknown[label] = unknown.get(label, 0) + 1
        else:
            data.labels[i] = norm
            keep.append(i)
    if unknown:
        log.warning("%s: skipped %d row(s) with labels other than %s: %s", Path(path).name, sum(unknown.values()),
                    "/".join(SENTIMENT_LABELS), ", ".join(f"{k!r} ({v})" for k, v in sorted(unknown.items())[:10]))
    if not keep:
        raise LabelledDataError(f"{Path(path).name}: no row has a negative/neutral/positive label")
    subset = data.subset(keep)
    subset.skipped = data.skipped + sum(unknown.values())
    return subset


def team_corpus() -> LabelledData:
    """The team-written sentiment corpus."""
    return read_sentiment_file(corpus_dir() / SENTIMENT_FILE)


def team_corpus_groups() -> list[str]:
    """Per row of `team_corpus()`: the sentence it was written as (its `subtopic` column), for grouped CV."""
    return read_sentiment_file(corpus_dir() / SENTIMENT_FILE, "subtopic", "label").texts


def lexicon_labels(texts: Sequence[str]) -> list[str] | None:
    """Labels from the enricher's lexicon scorer alone, or None when it is unavailable."""
    try:
        from pipeline.enrich.sentiment import LexiconSentiment
    except ImportError:
        return None
    scorer = LexiconSentiment()
    return [scorer.score(t)[0] for t in texts]


def pattern_labels(texts: Sequence[str], threshold: float = PATTERN_THRESHOLD) -> list[str]:
    """Labels from the Pattern lexicon alone: the mean polarity of the lexicon words in a text (a negator in the
    three words before flips a word), positive above `threshold`, negative below minus it."""
    lexicon = pattern_lexicon()
    labels = []
    for text in texts:
        words = WORD.findall(text.lower())
        values = []
        for i, word in enumerate(words):
            polarity = lexicon.get(word)
            if polarity is not None and abs(polarity) >= 0.05:
                negated = any(w in NEGATORS for w in words[max(0, i - 3):i])
                values.append(-polarity if negated else polarity)
        mean = sum(values) / len(values) if values else 0.0
        labels.append(POSITIVE if mean > threshold else NEGATIVE if mean < -threshold else NEUTRAL)
    return labels


def cross_validated(texts: Sequence[str], labels: Sequence[str], folds: int = 5, extra: LabelledData | None = None,
                    progress: bool = True, seed: int = CV_SEED,
                    groups: Sequence[str] | None = None,
                    params: dict[str, Any] | None = None) -> tuple[list[str], list[float]]:
    """Out-of-fold predictions and confidences of the supervised model (`extra` rows join every training fold;
    rows sharing a group stay in one fold; `params` override the default recipe)."""
    counts = {label: labels.count(label) for label in set(labels)}
    if min(counts.values()) < folds:
        raise ValueError(f"{folds}-fold CV needs at least {folds} rows per label, got {counts}")
    predicted: list[str] = [""] * len(texts)
    confidence = [0.0] * len(texts)
    for train_idx, test_idx in tqdm(fold_splits(labels, folds, seed, groups), desc="cv", unit="fold",
                                    disable=not progress):
        train_texts = [texts[i] for i in train_idx] + (extra.texts if extra else [])
        train_labels = [labels[i] for i in train_idx] + (extra.labels if extra else [])
        model = train_sentiment(train_texts, train_labels, params=params)
        proba = model.proba([texts[i] for i in test_idx])
        for row, i in zip(proba, test_idx):
            predicted[i] = model.classes[int(row.argmax())]
            confidence[i] = float(row.max())
    return predicted, confidence


def evaluate_sentiment_file(path: str | Path, text_column: str = "text", label_column: str = "label",
                            model: SupervisedSentiment | None = None, model_dir: str | Path | None = None,
                            cv: int | None = None, with_corpus: bool = False,
                            progress: bool = True) -> SentimentEvaluation:
    """Evaluate on a file: k-fold CV of the supervised model when `cv` is set, else the given/bundled model."""
    data = read_sentiment_file(path, text_column, label_column)
    if cv:
        extra = team_corpus() if with_corpus else None
        predicted, confidence = cross_validated(data.texts, data.labels, cv, extra, progress)
        method = f"{cv}-fold stratified CV of the supervised model" + (" + team corpus in each fold" if extra else "")
    else:
        if model is None:
            if model_dir is None:
                from pipeline.models.starter import starter_sentiment_dir

                model_dir = starter_sentiment_dir()
            model = load_sentiment_model(model_dir)
        proba = model.proba(data.texts)
        predicted = [model.classes[int(i)] for i in proba.argmax(axis=1)]
        confidence = proba.max(axis=1).tolist()
        method = f"model {model.version}"
    report = evaluate_predictions(data.labels, predicted, confidence, labels=list(SENTIMENT_LABELS))
    lexicon = lexicon_labels(data.texts)
    lexicon_f1 = evaluate_predictions(data.labels, lexicon, labels=list(SENTIMENT_LABELS)).macro_f1 if lexicon else None
    return SentimentEvaluation(report, method, lexicon_f1)

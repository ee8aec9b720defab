"""A fitted topic classifier behind the enricher's TopicModel protocol: ranked (code, label, probability)."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

Ranked = list[tuple[str, str, float]]
TOP_N = 3


class TrainedTopicModel:
    """Wraps a scikit-learn pipeline with predict_proba; `code` is the model's own label."""

    def __init__(self, pipeline: Any, version: str, label_names: dict[str, str] | None = None,
                 top_n: int | None = TOP_N) -> None:
        """Wrap a fitted pipeline; `label_names` maps codes to display labels; `top_n` bounds the ranking."""
        self.pipeline = pipeline
        self.version = version
        self.model_version = version
        self.codes: list[str] = [str(c) for c in pipeline.classes_]
        names = label_names or {}
        self.labels: list[str] = [names.get(code, code) for code in self.codes]
        self.top_n = top_n
        self.review_threshold: float | None = None  # a calibrated needs_review threshold, when training chose one

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, one row per text, columns in `codes` order."""
        if not len(texts):
            return np.zeros((0, len(self.codes)))
        return self.pipeline.predict_proba([t if isinstance(t, str) else "" for t in texts])

    def classify(self, texts: Sequence[str]) -> tuple[list[str], list[float]]:
        """The best code and its probability per text."""
        proba = self.predict_proba(texts)
        if not len(proba):
            return [], []
        best = proba.argmax(axis=1)
        return [self.codes[i] for i in best], proba[np.arange(len(best)), best].tolist()

    def predict(self, texts: list[str]) -> list[Ranked]:
        """Ranked (code, label, probability) per text, best first; the top `top_n` (all when None)."""
        proba = self.predict_proba(texts)
        if not len(proba):
            return []
        k = len(self.codes) if self.top_n is None else min(self.top_n, len(self.codes))
        order = np.argsort(-proba, axis=1, kind="stable")[:, :k]
        top = np.take_along_axis(proba, order, axis=1).round(3).tolist()
        codes, labels = self.codes, self.labels
        return [[(codes[j], labels[j], p) for j, p in zip(row, probs)] for row, probs in zip(order.tolist(), top)]

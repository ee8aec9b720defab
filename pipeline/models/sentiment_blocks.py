"""A linear classifier made of one logistic regression per feature block (word n-grams, char n-grams, cues)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression


class BlockLogisticRegression(ClassifierMixin, BaseEstimator):
    """Fits a logistic regression on each column block separately and adds their decision values.

    Each block must explain the labels on its own, so no block can lean on another's quirks (word n-grams on
    topic words, cues on post length); the sum is still one linear model (`coef_`, `intercept_`).
    `blocks` are the column boundaries between blocks; the last block gets `last_C`.
    """

    def __init__(self, blocks: Sequence[int] = (), C: float = 3.0, last_C: float = 1.0,
                 class_weight: str | None = "balanced", max_iter: int = 2000) -> None:
        """Column boundaries, regularisation of the n-gram blocks and of the last block, class weighting."""
        self.blocks = blocks
        self.C = C
        self.last_C = last_C
        self.class_weight = class_weight
        self.max_iter = max_iter

    def _ranges(self, width: int) -> list[tuple[int, int]]:
        """(start, end) column ranges of the blocks; empty blocks are left out."""
        edges = [0, *(int(b) for b in self.blocks if 0 < int(b) < width), width]
        return [(a, b) for a, b in zip(edges, edges[1:]) if b > a]

    def fit(self, X: Any, y: Sequence[Any]) -> BlockLogisticRegression:
        """Fit one logistic regression per block; coef_ holds their weights side by side."""
        matrix = sp.csr_matrix(X) if sp.issparse(X) else np.asarray(X, dtype=float)
        width = matrix.shape[1]
        ranges = self._ranges(width)
        coef: np.ndarray | None = None
        intercept: np.ndarray | None = None
        for number, (start, end) in enumerate(ranges):
            c = self.last_C if number == len(ranges) - 1 and len(ranges) > 1 else self.C
            model = LogisticRegression(C=c, class_weight=self.class_weight, max_iter=self.max_iter)
            model.fit(matrix[:, start:end], y)
            if coef is None or intercept is None:
                self.classes_ = model.classes_
                coef = np.zeros((model.coef_.shape[0], width))
                intercept = np.zeros(model.coef_.shape[0])
            coef[:, start:end] = model.coef_
            intercept += model.intercept_
        if coef is None or intercept is None:
            raise ValueError("no feature columns to fit on")
        self.coef_, self.intercept_ = coef, intercept
        self.n_features_in_ = width
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Summed decision values, one column per class."""
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def predict_proba(self, X: Any) -> np.ndarray:
        """Softmax of the summed decision values."""
        scores = self.decision_function(X)
        scores = scores - scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """The class with the highest summed decision value."""
        return self.classes_[self.decision_function(X).argmax(axis=1)]

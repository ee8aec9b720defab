"""A linear SVM and complement naive Bayes averaged, with temperatures fitted out of fold: calibrated probabilities."""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

from pipeline.models.class_weights import resolve_class_weight

log = logging.getLogger(__name__)

MAX_ITER = 5000
SEED = 20240611
TEMPERATURE_BOUNDS = (0.01, 20.0)


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature T that minimises the log loss of softmax(scores / T) against column indices `truth`."""
    rows = np.arange(len(truth))

    def loss(temperature: float) -> float:
        """Mean negative log-likelihood at one temperature."""
        return float(-np.log(softmax(scores / temperature)[rows, truth] + 1e-12).mean())

    return float(minimize_scalar(loss, bounds=TEMPERATURE_BOUNDS, method="bounded").x)


class SvmNbEnsemble(BaseEstimator, ClassifierMixin):
    """Average of a temperature-scaled linear SVM and complement naive Bayes, then one more temperature.

    Both temperatures are fitted on out-of-fold scores of the training rows (`folds` stratified folds), so the
    final probabilities are calibrated; `oof_confidence_` and `oof_correct_` keep the out-of-fold top confidence
    and whether it was right, for choosing a review threshold.
    """

    def __init__(self, C: float = 0.2, class_weight: str | None = None, alpha: float = 0.3,
                 nb_weight: float = 0.5, folds: int = 3) -> None:
        """SVM C and class weights (None, 'balanced' or 'sqrt'), naive Bayes smoothing, the weight of naive Bayes
        in the average, CV folds."""
        self.C = C
        self.class_weight = class_weight
        self.alpha = alpha
        self.nb_weight = nb_weight
        self.folds = folds

    def _members(self) -> tuple[LinearSVC, ComplementNB]:
        """Fresh, unfitted members (the SVM with the class weights resolved in `fit`)."""
        weights = getattr(self, "svm_class_weight_", self.class_weight)
        return (LinearSVC(C=self.C, class_weight=weights, max_iter=MAX_ITER, random_state=0),
                ComplementNB(alpha=self.alpha))

    def fit(self, x: Any, y: Any, sample_weight: Any = None) -> SvmNbEnsemble:
        """Fit both members on all rows and the temperatures out of fold."""
        labels = np.asarray(y)
        self.classes_, truth = np.unique(labels, return_inverse=True)
        self.svm_class_weight_ = resolve_class_weight(self.class_weight, truth.tolist())
        svm_scores = np.zeros((len(labels), len(self.classes_)))
        nb_proba = np.zeros_like(svm_scores)
        smallest = int(np.bincount(truth).min())
        folds = min(self.folds, smallest)
        if folds >= 2:
            splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
            for train, held in splitter.split(np.zeros(len(labels)), truth):
                svm, nb = self._members()
                svm.fit(x[train], truth[train], sample_weight=None if sample_weight is None else sample_weight[train])
                nb.fit(x[train], truth[train])
                svm_scores[np.ix_(held, svm.classes_)] = _decision(svm, x[held])
                nb_proba[np.ix_(held, nb.classes_)] = nb.predict_proba(x[held])
            self.svm_temperature_ = fit_temperature(svm_scores, truth)
            mixed = self._mix(svm_scores, nb_proba)
            self.temperature_ = fit_temperature(np.log(mixed + 1e-12), truth)
            final = softmax(np.log(mixed + 1e-12) / self.temperature_)
            self.oof_confidence_ = final.max(axis=1)
            self.oof_correct_ = final.argmax(axis=1) == truth
        else:
            log.warning("topic model: a label has a single training row; probabilities are not calibrated")
            self.svm_temperature_, self.temperature_ = 0.3, 1.0
            self.oof_confidence_ = np.zeros(0)
            self.oof_correct_ = np.zeros(0, dtype=bool)
        self.svm_, self.nb_ = self._members()
        self.svm_.fit(x, truth, sample_weight=sample_weight)
        self.nb_.fit(x, truth)
        return self

    def _mix(self, svm_scores: np.ndarray, nb_proba: np.ndarray) -> np.ndarray:
        """The weighted average of the SVM's softmax and naive Bayes' probabilities."""
        return (1.0 - self.nb_weight) * softmax(svm_scores / self.svm_temperature_) + self.nb_weight * nb_proba

    def predict_proba(self, x: Any) -> np.ndarray:
        """Calibrated probabilities, columns in `classes_` order."""
        mixed = self._mix(_decision(self.svm_, x), self.nb_.predict_proba(x))
        return softmax(np.log(mixed + 1e-12) / self.temperature_)

    def predict(self, x: Any) -> np.ndarray:
        """The most probable label per row."""
        return np.asarray(self.classes_[self.predict_proba(x).argmax(axis=1)])


def _decision(svm: LinearSVC, x: Any) -> np.ndarray:
    """SVM scores with one column per class, also for two classes (where scikit-learn gives one)."""
    scores = svm.decision_function(x)
    if scores.ndim == 1:
        return np.column_stack([-scores, scores])
    return np.asarray(scores)

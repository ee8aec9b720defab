"""The evaluation report of a classifier: macro-F1, per-class scores, confusion matrix and reliability table."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

RELIABILITY_EDGES: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0)


@dataclass(slots=True)
class ClassScores:
    """Precision, recall, F1 and support of one label."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(slots=True)
class ReliabilityBin:
    """Predictions whose confidence falls in [low, high): how many, how confident, how often right."""

    low: float
    high: float
    count: int
    mean_confidence: float
    accuracy: float


@dataclass(slots=True)
class EvaluationReport:
    """Everything `train` and `evaluate` print and store in metadata.json."""

    labels: list[str]
    n: int
    accuracy: float
    macro_f1: float
    weighted_f1: float
    per_class: list[ClassScores]
    confusion: list[list[int]]
    reliability: list[ReliabilityBin] = field(default_factory=list)
    expected_calibration_error: float | None = None
    review_threshold: float | None = None
    review_share: float | None = None
    accuracy_above_threshold: float | None = None
    accuracy_below_threshold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def to_text(self, title: str = "Validation report") -> str:
        """The report as aligned plain text."""
        summary = (f"rows: {self.n}   accuracy: {self.accuracy:.3f}   "
                   f"macro-F1: {self.macro_f1:.3f}   weighted-F1: {self.weighted_f1:.3f}")
        lines = [title, "=" * len(title), summary, ""]
        lines += per_class_table(self.per_class)
        lines += ["", "Confusion matrix (rows: true label, columns: predicted label by number)"]
        lines += confusion_table(self.labels, self.confusion)
        if self.reliability:
            lines += ["", "Reliability of the top label's confidence (calibrated: confidence ~ accuracy)"]
            lines += reliability_table(self.reliability)
            if self.expected_calibration_error is not None:
                lines.append(f"expected calibration error: {self.expected_calibration_error:.3f}")
        if self.review_threshold is not None and self.review_share is not None:
            above = "n/a" if self.accuracy_above_threshold is None else f"{self.accuracy_above_threshold:.3f}"
            below = "n/a" if self.accuracy_below_threshold is None else f"{self.accuracy_below_threshold:.3f}"
            lines.append(f"needs_review (confidence < {self.review_threshold:.2f}): {self.review_share:.1%} of rows, "
                         f"accuracy {below}; accuracy of the rest: {above}")
        return "\n".join(lines)


def per_class_table(rows: Sequence[ClassScores]) -> list[str]:
    """Lines of the precision/recall/F1/support table."""
    width = max([len(r.label) for r in rows] + [5])
    out = [f"{'label':<{width}}  precision  recall     f1  support"]
    for r in rows:
        out.append(f"{r.label:<{width}}  {r.precision:9.3f}  {r.recall:6.3f}  {r.f1:5.3f}  {r.support:7d}")
    return out


def confusion_table(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> list[str]:
    """Lines of the confusion matrix with numbered columns (the number is the label's row)."""
    width = max([len(label) for label in labels] + [5])
    cell = max(4, len(str(max((max(row) for row in matrix), default=0))) + 1)
    header = " " * (width + 5) + "".join(f"{i + 1:>{cell}}" for i in range(len(labels)))
    out = [header]
    for i, (label, row) in enumerate(zip(labels, matrix)):
        out.append(f"{i + 1:>3}. {label:<{width}}" + "".join(f"{v:>{cell}}" for v in row))
    return out


def reliability_table(bins: Sequence[ReliabilityBin]) -> list[str]:
    """Lines of the reliability table."""
    out = ["confidence   count  mean conf  accuracy"]
    for b in bins:
        acc = f"{b.accuracy:8.3f}" if b.count else "       -"
        conf = f"{b.mean_confidence:9.3f}" if b.count else "        -"
        out.append(f"{b.low:.1f}-{b.high:.1f}  {b.count:8d}  {conf}  {acc}")
    return out


def reliability_bins(correct: np.ndarray, confidence: np.ndarray,
                     edges: Sequence[float] = RELIABILITY_EDGES) -> tuple[list[ReliabilityBin], float]:
    """Bins of confidence with their accuracy, and the expected calibration error (count-weighted gap)."""
    bins: list[ReliabilityBin] = []
    gap = 0.0
    n = len(correct)
    for k, (low, high) in enumerate(zip(edges, edges[1:])):
        last = k == len(edges) - 2
        mask = (confidence >= low) & ((confidence <= high) if last else (confidence < high))
        count = int(mask.sum())
        mean_conf = float(confidence[mask].mean()) if count else 0.0
        acc = float(correct[mask].mean()) if count else 0.0
        bins.append(ReliabilityBin(low, high, count, round(mean_conf, 4), round(acc, 4)))
        if count:
            gap += count / n * abs(acc - mean_conf)
    return bins, round(gap, 4)


def evaluate_predictions(y_true: Sequence[str], y_pred: Sequence[str], confidence: Sequence[float] | None = None,
                         labels: Sequence[str] | None = None,
                         review_threshold: float | None = None) -> EvaluationReport:
    """Compute the report; `labels` fixes the row order (others seen in the data are appended).

    Macro-F1 is scikit-learn's: the unweighted mean over every label that is true or predicted.
    """
    if len(y_true) != len(y_pred) or not len(y_true):
        raise ValueError(f"need equally long, non-empty label lists, got {len(y_true)} and {len(y_pred)}")
    order = list(labels) if labels is not None else sorted(set(y_true))
    order += sorted((set(y_true) | set(y_pred)) - set(order))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=order, zero_division=0)
    per_class = [ClassScores(label, round(float(pi), 4), round(float(ri), 4), round(float(fi), 4), int(si))
                 for label, pi, ri, fi, si in zip(order, p, r, f, s)]
    report = EvaluationReport(
        labels=order,
        n=len(y_true),
        accuracy=round(float(accuracy_score(y_true, y_pred)), 4),
        macro_f1=round(float(f1_score(y_true, y_pred, average="macro", zero_division=0)), 4),
        weighted_f1=round(float(f1_score(y_true, y_pred, average="weighted", zero_division=0)), 4),
        per_class=per_class,
        confusion=confusion_matrix(y_true, y_pred, labels=order).tolist(),
    )
    if confidence is not None:
        conf = np.asarray(confidence, dtype=float)
        correct = np.asarray([t == q for t, q in zip(y_true, y_pred)], dtype=float)
        report.reliability, report.expected_calibration_error = reliability_bins(correct, conf)
        if review_threshold is not None:
            keep = conf >= review_threshold
            report.review_threshold = review_threshold
            report.review_share = round(float(1.0 - keep.mean()), 4)
            report.accuracy_above_threshold = round(float(correct[keep].mean()), 4) if keep.any() else None
            report.accuracy_below_threshold = round(float(correct[~keep].mean()), 4) if (~keep).any() else None
    return report

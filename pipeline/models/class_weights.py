"""Per-class training weights: none, balanced, or softened ('sqrt', the square root of the balanced weights)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from typing import Any

CLASS_WEIGHTS = (None, "balanced", "sqrt")


def check_class_weight(mode: Any) -> None:
    """Raise ValueError for a class weight mode other than None, 'balanced' or 'sqrt'."""
    if mode not in CLASS_WEIGHTS:
        raise ValueError(f"unknown class_weight {mode!r}; known: None, 'balanced', 'sqrt'")


def resolve_class_weight(mode: str | None, labels: Iterable[Hashable],
                         encoded_too: bool = False) -> str | dict[Hashable, float] | None:
    """What scikit-learn's `class_weight` takes for `mode`: None, 'balanced', or for 'sqrt' a label -> weight map.

    `encoded_too`: each weight also under its label's place in sorted order, for an estimator that may be fitted on
    the labels or on their encoded form (CalibratedClassifierCV fits its folds on encoded labels, and its final fit,
    for some methods, on the labels themselves); the labels must then be strings, so the two keys cannot clash.

    'sqrt' weighs a class by sqrt(n_rows / (n_classes * class_rows)): halfway (in log terms) between the training
    rows' own class shares and balanced classes, so rare labels count for more without being predicted as often
    as common ones, which macro-F1 punishes when the classes' shares move with the season.
    """
    check_class_weight(mode)
    if mode != "sqrt":
        return mode
    counts = Counter(labels)
    total, n_classes = sum(counts.values()), len(counts)
    weights: dict[Hashable, float] = {label: (total / (n_classes * count)) ** 0.5 for label, count in counts.items()}
    if encoded_too:
        if not all(isinstance(label, str) for label in weights):
            raise ValueError("class weights under both the labels and their encoded form need string labels")
        weights.update({i: weights[label] for i, label in enumerate(sorted(weights))})   # type: ignore[type-var]
    return weights

"""The needs_review threshold of a topic model, chosen from out-of-fold confidences: below it, a person checks."""
from __future__ import annotations

import numpy as np

REVIEW_TARGET_ACCURACY = 0.80
GRID_STEP = 0.01
MIN_ROWS = 30


def review_threshold_for(confidence: np.ndarray, correct: np.ndarray, target: float = REVIEW_TARGET_ACCURACY,
                         fallback: float = 0.4) -> float:
    """The lowest confidence (0.01 steps) at which the rows at or above it are right at least `target` of the time.

    With fewer than MIN_ROWS rows, or when no threshold reaches the target with MIN_ROWS rows above it, the
    `fallback` is returned.
    """
    conf = np.asarray(confidence, dtype=float)
    right = np.asarray(correct, dtype=float)
    if len(conf) < MIN_ROWS:
        return fallback
    for threshold in np.arange(0.0, 1.0 + GRID_STEP / 2, GRID_STEP):
        above = conf >= threshold
        if above.sum() < MIN_ROWS:
            break
        if right[above].mean() >= target:
            return round(float(threshold), 2)
    return fallback

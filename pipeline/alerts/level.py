"""A robust level factor per scope: how far recent counts run above or below the seasonal baseline.

The seasonal baseline forgets over weeks; a level shift or trend (a new channel, a growing town, a season)
needs hours. The factor is a decayed ratio of winsorised counts to seasonal expectations, so it follows a
shift within hours but a burst moves it by at most `winsor_z` standard deviations per window."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from pipeline.alerts.array_state import arrays_state, load_arrays

MIN_FACTOR = 0.25
MAX_FACTOR = 4.0
_ARRAYS = ("num", "den", "weight")


class LevelTracker:
    """Decayed sums of learned counts and of seasonal expectations per scope row."""

    def __init__(self, windows_per_hour: float, hours: float, prior_windows: float) -> None:
        """Empty sums; the factor forgets with a time constant of `hours`."""
        self.decay = math.exp(-1.0 / max(windows_per_hour * hours, 1.0))
        self.prior_windows = prior_windows
        self.num = np.zeros(0)
        self.den = np.zeros(0)
        self.weight = np.zeros(0)

    def grow(self, rows: int) -> None:
        """Make room for `rows` scope rows."""
        extra = rows - len(self.num)
        if extra > 0:
            for name in _ARRAYS:
                setattr(self, name, np.concatenate([getattr(self, name), np.zeros(extra)]))

    def factor(self) -> np.ndarray:
        """Per row: recent counts / seasonal expectation, shrunk toward 1 by `prior_windows` average windows."""
        typical = self.den / np.maximum(self.weight, 1e-9)
        prior = self.prior_windows * typical
        ratio = (self.num + prior) / np.maximum(self.den + prior, 1e-12)
        return np.clip(np.where(self.weight > 0, ratio, 1.0), MIN_FACTOR, MAX_FACTOR)

    def update(self, learned: np.ndarray, seasonal: np.ndarray, rows: np.ndarray) -> None:
        """Fold one window in for the rows in the boolean mask: winsorised counts and seasonal expectations."""
        d = self.decay
        self.num = np.where(rows, self.num * d + learned, self.num)
        self.den = np.where(rows, self.den * d + seasonal, self.den)
        self.weight = np.where(rows, self.weight * d + 1.0, self.weight)

    def to_state(self) -> dict[str, Any]:
        """JSON-ready sums."""
        return arrays_state(self, _ARRAYS)

    def load_state(self, state: dict[str, Any] | None, rows: int) -> None:
        """Restore sums saved by to_state (none saved: a fresh tracker)."""
        self.grow(rows)
        if not state:
            return
        load_arrays(self, _ARRAYS, state, "level")


def winsorised(x: np.ndarray, expected: np.ndarray, spread: np.ndarray, z: float) -> np.ndarray:
    """Counts clipped to `z` standard deviations around what was expected (a burst teaches only a little)."""
    return np.clip(x, np.maximum(expected - z * spread, 0.0), expected + z * spread)

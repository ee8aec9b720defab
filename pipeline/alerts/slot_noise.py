"""How noisy each hour of the week is for a scope, relative to its dispersion model.

Bursty volume is not bursty at every hour alike (evening threads, a weekly broadcast). Per scope and
hour-of-week slot the mean squared Pearson residual of single windows is kept (residuals winsorised so one
burst cannot dominate), shrunk toward the scope's all-hours mean, which is shrunk toward 1. The result (never below 1: the
dispersion model is fitted over all hours already) scales
the modelled variance of every test in that slot."""
from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.alerts.array_state import arrays_state, load_arrays

SLOTS = 168
MAX_SQUARED_RESIDUAL = 16.0
MIN_SCALE = 1.0
MAX_SCALE = 4.0
_ARRAYS = ("slot_sum", "slot_w", "all_sum", "all_w")


class SlotNoise:
    """Decayed sums of squared standardised residuals per (scope row, hour-of-week slot) and overall."""

    def __init__(self, slot_decay: float, all_decay: float, slot_prior: float, all_prior: float) -> None:
        """Empty sums; priors are in windows of evidence."""
        self.slot_decay = slot_decay
        self.all_decay = all_decay
        self.slot_prior = slot_prior
        self.all_prior = all_prior
        self.slot_sum = np.zeros((0, SLOTS))
        self.slot_w = np.zeros((0, SLOTS))
        self.all_sum = np.zeros(0)
        self.all_w = np.zeros(0)

    def grow(self, rows: int) -> None:
        """Make room for `rows` scope rows."""
        extra = rows - len(self.all_sum)
        if extra <= 0:
            return
        self.slot_sum = np.vstack([self.slot_sum, np.zeros((extra, SLOTS))])
        self.slot_w = np.vstack([self.slot_w, np.zeros((extra, SLOTS))])
        self.all_sum = np.concatenate([self.all_sum, np.zeros(extra)])
        self.all_w = np.concatenate([self.all_w, np.zeros(extra)])

    def scale(self, slot: int) -> np.ndarray:
        """Per row: the variance multiplier for windows in `slot` (day * 24 + hour)."""
        overall = (self.all_sum + self.all_prior) / (self.all_w + self.all_prior)
        local = (self.slot_sum[:, slot] + self.slot_prior * overall) / (self.slot_w[:, slot] + self.slot_prior)
        return np.clip(local, MIN_SCALE, MAX_SCALE)

    def learn(self, slot: int, x: np.ndarray, expected: np.ndarray, var: np.ndarray, weight: np.ndarray) -> None:
        """Add one window per row: observed, expected, modelled variance (without this scale), 0..1 weight."""
        r2 = np.minimum((x - expected) ** 2 / np.maximum(var, 1e-9), MAX_SQUARED_RESIDUAL)
        self.slot_sum[:, slot] = self.slot_sum[:, slot] * np.where(weight > 0, self.slot_decay, 1.0) + weight * r2
        self.slot_w[:, slot] = self.slot_w[:, slot] * np.where(weight > 0, self.slot_decay, 1.0) + weight
        self.all_sum = self.all_sum * np.where(weight > 0, self.all_decay, 1.0) + weight * r2
        self.all_w = self.all_w * np.where(weight > 0, self.all_decay, 1.0) + weight

    def to_state(self) -> dict[str, Any]:
        """JSON-ready sums."""
        return arrays_state(self, _ARRAYS)

    def load_state(self, state: dict[str, Any] | None, rows: int) -> None:
        """Restore sums saved by to_state (none saved: fresh sums)."""
        self.grow(rows)
        if not state:
            return
        load_arrays(self, _ARRAYS, state, "slot noise")

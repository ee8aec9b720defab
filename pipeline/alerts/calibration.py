"""Self-calibration of the tail: how often a scope's own normal windows look improbable under the model.

Bursty volume produces windows the count model calls rare far more often than its p-values say. Per scope the
detector keeps decayed counts of learned windows (not covered by an alert) whose p-value fell below 1e-2, 1e-3
and 1e-4, over all tested spans. From these exceedance rates (shrunk toward the nominal ones) a power law
log E(p) = c + g log p is fitted (least squares over the three levels), and a test alerts only when its p-value is below the p* where E(p*)
equals the configured threshold: the false-alarm rate the threshold promises, measured on the scope itself."""
from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.alerts.array_state import arrays_state

LEVELS = (1e-2, 1e-3, 1e-4)
MIN_SLOPE = 0.25
MAX_TIGHTENING = 1e-6     # the calibrated threshold is never below this fraction of the configured one
_ARRAYS = ("exceed", "total")


class TailCalibration:
    """Decayed exceedance counts per scope row at LEVELS, and the calibrated p-value thresholds."""

    def __init__(self, decay: float, prior_windows: float) -> None:
        """Empty counts; `prior_windows` windows at the nominal rates pull sparse scopes to the model."""
        self.decay = decay
        self.prior_windows = prior_windows
        self.exceed = np.zeros((len(LEVELS), 0))
        self.total = np.zeros(0)

    def grow(self, rows: int) -> None:
        """Make room for `rows` scope rows."""
        extra = rows - len(self.total)
        if extra > 0:
            self.exceed = np.hstack([self.exceed, np.zeros((len(LEVELS), extra))])
            self.total = np.concatenate([self.total, np.zeros(extra)])

    def learn(self, bins: list[np.ndarray], rows: np.ndarray) -> None:
        """Add one window for the rows in the boolean mask; `bins` holds per span and row how many LEVELS the
        window's p-value fell below (0..3)."""
        d = np.where(rows, self.decay, 1.0)
        add = rows.astype(float)
        self.total = self.total * d + add * len(bins)
        for k in range(len(LEVELS)):
            hits = sum((b > k).astype(float) for b in bins) if bins else 0.0
            self.exceed[k] = self.exceed[k] * d + add * hits

    def rates(self) -> np.ndarray:
        """Shrunk, cautious exceedance rate per level and row."""
        nominal = np.asarray(LEVELS)[:, None]
        evidence = np.maximum(self.exceed - np.sqrt(self.exceed), 0.0)   # one standard error lower: chance alone
        return (evidence + self.prior_windows * nominal) / (self.total + self.prior_windows)

    def thresholds(self, configured: np.ndarray) -> np.ndarray:
        """Per row: the p-value a test must stay below so that windows this improbable occur at the configured
        rate on this scope's own history (never above the configured threshold)."""
        y = np.log10(self.rates())
        x = np.log10(np.asarray(LEVELS))[:, None]
        x_mean, y_mean = float(x.mean()), y.mean(axis=0)
        slope = ((x - x_mean) * (y - y_mean)).sum(axis=0) / float(((x - x_mean) ** 2).sum())
        slope = np.clip(slope, MIN_SLOPE, 1.0)
        calibrated = np.power(10.0, x_mean + (np.log10(configured) - y_mean) / slope)
        return np.clip(calibrated, configured * MAX_TIGHTENING, configured)

    def to_state(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return arrays_state(self, _ARRAYS)

    def load_state(self, state: dict[str, Any] | None, rows: int) -> None:
        """Restore counts saved by to_state (none saved: fresh counts)."""
        self.grow(rows)
        if not state:
            return
        exceed = np.asarray(state["exceed"], dtype=float).reshape(len(LEVELS), -1)
        total = np.asarray(state["total"], dtype=float)
        if exceed.shape[1] != rows or total.shape != (rows,):
            raise ValueError(f"tail calibration: saved for {total.shape[0]} rows, expected {rows}")
        self.exceed, self.total = exceed, total

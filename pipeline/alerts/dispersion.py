"""Overdispersion per scope and span: how much more counts vary than Poisson.

For every tested span (1, 2, 4 windows) the model is var = mu (1 + a) + b mu^2, where `a` captures bursts
of related signals (reply cascades) and `b` swings of the rate itself (a busy hour). Fitting each span on
its own sums calibrates the span tests directly, including how windows of one hour move together.
Fitted by weighted least squares of the excess (x - mu)^2 - mu on mu and mu^2, with decayed sums."""
from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.alerts.config import MAX_EXTRA_POISSON

PRIOR_WEIGHT = 20.0        # pseudo-observations pulling a scope toward its parent's estimate
_SUMS = ("s1", "s2", "a11", "a12", "a22")


class DispersionModel:
    """Decayed regression sums per (span, scope row) and the (a, b) estimates derived from them."""

    def __init__(self, spans: tuple[int, ...], decay: float, default_b: float, max_b: float,
                 fixed_b: float | None = None, max_a: float = MAX_EXTRA_POISSON) -> None:
        """Empty sums for the given spans; `fixed_b` replaces the estimate when set; `max_a` caps a."""
        self.spans = spans
        self.max_a = max_a
        self.decay = decay
        self.default_b = default_b
        self.max_b = max_b
        self.fixed_b = fixed_b
        self.sums = {name: np.zeros((len(spans), 0)) for name in _SUMS}

    def grow(self, rows: int) -> None:
        """Make room for `rows` scope rows."""
        extra = rows - self.sums["s1"].shape[1]
        if extra > 0:
            for name in _SUMS:
                self.sums[name] = np.hstack([self.sums[name], np.zeros((len(self.spans), extra))])

    def learn(self, span_index: int, totals: np.ndarray, expected: np.ndarray, weight: np.ndarray,
              error_noise: np.ndarray | None = None, error_prior: np.ndarray | None = None) -> None:
        """Add one observation per row for a span: observed totals, expected totals, and a 0..1 weight; optionally
        net of the expectation's own error (variance `error_noise` x the count's + `error_prior` x expected^2)."""
        squared = (totals - expected) ** 2
        if error_noise is not None and error_prior is not None:
            squared = (squared - error_prior * expected ** 2) / (1.0 + error_noise)
        excess = squared - expected
        w = weight / (expected + 2 * expected * expected)
        d = self.decay
        sums = self.sums
        sums["s1"][span_index] = sums["s1"][span_index] * d + w * excess * expected
        sums["s2"][span_index] = sums["s2"][span_index] * d + w * excess * expected ** 2
        sums["a11"][span_index] = sums["a11"][span_index] * d + w * expected ** 2
        sums["a12"][span_index] = sums["a12"][span_index] * d + w * expected ** 3
        sums["a22"][span_index] = sums["a22"][span_index] * d + w * expected ** 4

    def estimate(self, span_index: int, parents: np.ndarray, level_rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(a, b) per row for a span; sub-scopes are never assumed steadier than their topic."""
        n = len(parents)
        a = np.zeros(n)
        b = np.zeros(n)
        if self.fixed_b is not None:
            return a, np.full(n, float(self.fixed_b))
        sums = {k: v[span_index] for k, v in self.sums.items()}
        for level, rows in enumerate(level_rows):
            if rows.size == 0:
                continue
            if level == 0:
                prior_a, prior_b = np.zeros(rows.size), np.full(rows.size, self.default_b)
            else:
                prior_a, prior_b = a[parents[rows]], b[parents[rows]]
            k = PRIOR_WEIGHT
            a11 = sums["a11"][rows] + k
            a22 = sums["a22"][rows] + k
            a12 = sums["a12"][rows]
            s1 = sums["s1"][rows] + k * prior_a
            s2 = sums["s2"][rows] + k * prior_b
            det = np.maximum(a11 * a22 - a12 * a12, 1e-12)
            fit_a, fit_b = (s1 * a22 - s2 * a12) / det, (a11 * s2 - a12 * s1) / det
            # a term that fits below zero is zero: the other is then fitted alone, not left at its joint value
            fit_a, fit_b = (np.where(fit_b < 0, s1 / a11, np.where(fit_a < 0, 0.0, fit_a)),
                            np.where(fit_a < 0, s2 / a22, np.where(fit_b < 0, 0.0, fit_b)))
            a[rows] = np.clip(fit_a, 0.0, self.max_a)
            b[rows] = np.clip(fit_b, 0.0, self.max_b)
            if level == 2:
                # sparse scopes see too few bursts to estimate their own dispersion, and a burst lands in
                # them whole: never assume a channel or place is steadier than its topic
                a[rows] = np.maximum(a[rows], prior_a)
                b[rows] = np.maximum(b[rows], prior_b)
        return a, b

    def to_state(self) -> dict[str, Any]:
        """JSON-ready sums."""
        return {name: arr.tolist() for name, arr in self.sums.items()}

    def load_state(self, state: dict[str, Any], rows: int) -> None:
        """Restore sums saved by to_state."""
        for name in _SUMS:
            arr = np.asarray(state[name], dtype=float).reshape(len(self.spans), -1)
            if arr.shape[1] != rows:
                raise ValueError(f"dispersion {name}: {arr.shape[1]} rows, expected {rows}")
            self.sums[name] = arr

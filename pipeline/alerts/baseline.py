"""Seasonal baselines per scope: expected count per window from hour of day and day of week, with shrinkage.

History is kept as decayed per-slot aggregates (sums and weights), never as raw signals, so memory is
bounded by scopes x (168 + 24 + 7) numbers. A scope with little history borrows its parent's rate and
daily shape (a place or channel borrows from its topic, a topic from all signals).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from pipeline.alerts.array_state import arrays_state, load_arrays
from pipeline.alerts.config import DetectorConfig

SLOTS_PER_WEEK = 168
MAX_PRIOR_WINDOWS = 200.0
DAY_PRIOR_SHARE = 0.25   # a day's level guessed from its parent is less uncertain than an hour's shape


class SeasonalBaseline:
    """Expected counts per scope row and window slot, learned window by window."""

    def __init__(self, config: DetectorConfig) -> None:
        """Empty aggregates; decay rates follow from the config."""
        self.config = config
        windows_per_hour = 60 / config.window_minutes
        self.windows_per_hour = windows_per_hour
        horizon = max(config.memory_weeks, 0.5)
        # decay per update, chosen so each aggregate forgets over the same number of weeks
        self.decay_slot = math.exp(-1 / (windows_per_hour * horizon))
        self.decay_hour = math.exp(-1 / (windows_per_hour * 7 * horizon))
        self.decay_day = math.exp(-1 / (windows_per_hour * 24 * horizon))
        self.decay_all = math.exp(-1 / (windows_per_hour * SLOTS_PER_WEEK * horizon))
        self.parents = np.zeros(0, dtype=np.int64)
        self.level_rows: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * 3
        self.slot_sum = np.zeros((0, SLOTS_PER_WEEK))
        self.slot_w = np.zeros((0, SLOTS_PER_WEEK))
        self.hour_sum = np.zeros((0, 24))
        self.hour_w = np.zeros((0, 24))
        self.day_sum = np.zeros((0, 7))
        self.day_w = np.zeros((0, 7))
        self.all_sum = np.zeros(0)
        self.all_w = np.zeros(0)

    @property
    def size(self) -> int:
        """Number of scope rows."""
        return len(self.parents)

    def grow(self, parents: list[int], levels: list[int]) -> None:
        """Add rows for scopes that are new since the last call (rows keep their order)."""
        extra = len(parents) - self.size
        if extra <= 0:
            return
        self.parents = np.asarray(parents, dtype=np.int64)
        levels_arr = np.asarray(levels)
        self.level_rows = [np.flatnonzero(levels_arr == lvl) for lvl in range(3)]
        for name, width in (("slot_sum", SLOTS_PER_WEEK), ("slot_w", SLOTS_PER_WEEK), ("hour_sum", 24),
                            ("hour_w", 24), ("day_sum", 7), ("day_w", 7)):
            old = getattr(self, name)
            setattr(self, name, np.vstack([old, np.zeros((extra, width))]))
        for name in ("all_sum", "all_w"):
            setattr(self, name, np.concatenate([getattr(self, name), np.zeros(extra)]))

    def _strength(self, prior: np.ndarray, minimum: float) -> np.ndarray:
        """How many windows of history a prior is worth: about 1 / (prior x slot_variance), as in a gamma-Poisson
        model, so sparse scopes (where one quiet or busy hour is mostly chance) lean on the prior longer."""
        strength = 1.0 / (np.maximum(prior, self.config.min_expected) * self.config.slot_variance)
        return np.clip(strength, minimum, MAX_PRIOR_WINDOWS)

    def expected(self, day: int, hour: int) -> np.ndarray:
        """Expected count per row for a window in local slot (day, hour)."""
        return self._expected(day, hour)[0]

    def expected_with_error(self, day: int, hour: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Expected count per row, and how uncertain that expectation is: the variance of its error as a multiple of
        the count's own variance (it is a mean of a few weeks' or days' counts) and as a share of expected^2 (the
        part that rests on the parent's shape, relative variance `prior_uncertainty`)."""
        return self._expected(day, hour)

    def _expected(self, day: int, hour: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """expected_with_error() for all rows."""
        cfg = self.config
        n = self.size
        slot = day * 24 + hour
        wph = self.windows_per_hour
        share_noise = np.zeros(n)
        share_prior = np.zeros(n)
        m0 = np.zeros(n)
        m_hour = np.zeros(n)
        m_day = np.zeros(n)
        mu = np.zeros(n)
        for level, rows in enumerate(self.level_rows):
            if rows.size == 0:
                continue
            if level == 0:
                prior_rate = np.full(rows.size, cfg.min_expected)
                shape_hour = np.ones(rows.size)
                shape_day = np.ones(rows.size)
            else:
                par = self.parents[rows]
                base = np.maximum(m0[par], 1e-12)
                prior_rate = m0[par] * cfg.new_scope_share
                shape_hour = m_hour[par] / base
                shape_day = m_day[par] / base
            k0 = cfg.overall_prior_windows
            rate = (self.all_sum[rows] + k0 * prior_rate) / (self.all_w[rows] + k0)
            prior_hour = rate * shape_hour
            kh = self._strength(prior_hour, 2 * cfg.prior_windows)
            by_hour = (self.hour_sum[rows, hour] + kh * prior_hour) / (self.hour_w[rows, hour] + kh)
            kd = 24 * cfg.prior_windows
            by_day = (self.day_sum[rows, day] + kd * rate * shape_day) / (self.day_w[rows, day] + kd)
            prior_slot = by_hour * by_day / np.maximum(rate, 1e-12)
            ks = self._strength(prior_slot, cfg.prior_windows)
            mu[rows] = (self.slot_sum[rows, slot] + ks * prior_slot) / (self.slot_w[rows, slot] + ks)
            m0[rows], m_hour[rows], m_day[rows] = rate, by_hour, by_day
            # error of a shrunk mean: its data part varies as a count over the weeks (slot) or days (hour) it
            # rests on, its prior part as the parent's shape
            slot_w, hour_w, day_w = self.slot_w[rows, slot], self.hour_w[rows, hour], self.day_w[rows, day]
            g_slot, g_hour, g_day = slot_w / (slot_w + ks), hour_w / (hour_w + kh), day_w / (day_w + kd)
            share_noise[rows] = (g_slot ** 2 * wph / np.maximum(slot_w, 1e-9)
                                 + (1 - g_slot) ** 2 * g_hour ** 2 * wph / np.maximum(hour_w, 1e-9))
            guessed = (1 - g_hour) ** 2 + DAY_PRIOR_SHARE * (1 - g_day) ** 2
            share_prior[rows] = (1 - g_slot) ** 2 * guessed * cfg.prior_uncertainty
        return np.maximum(mu, cfg.min_expected), share_noise, share_prior

    def hour_seen(self, hour: int) -> bool:
        """True once local hour `hour` has been learned for about a whole hour (on any day)."""
        return self.size > 0 and float(self.hour_w[:, hour].max()) >= self.windows_per_hour - 0.5

    def first_week_share(self, day: int, hour: int) -> np.ndarray:
        """Per row, how far slot (day, hour) is from one week of its own history (1 = never seen, 0 = a week)."""
        slot = day * 24 + hour
        return np.clip(1.0 - self.slot_w[:, slot] / self.windows_per_hour, 0.0, 1.0)

    def noise_confidence(self, day: int, hour: int) -> np.ndarray:
        """Per row 0..1: whether slot (day, hour) was seen in an earlier week. Before that the expectation
        rests on the prior, and its errors are not noise, so dispersion is not learned from it."""
        weeks_seen = self.slot_w[:, day * 24 + hour] / self.windows_per_hour
        return np.clip((weeks_seen - 0.9) / 0.5, 0.0, 1.0)

    def hour_confidence(self, hour: int) -> np.ndarray:
        """Per row 0..1: whether local hour `hour` was seen on an earlier day (the scope's own hour-of-day rate
        then carries its expectation, not its parent's share or the prior)."""
        days_seen = self.hour_w[:, hour] / self.windows_per_hour
        return np.clip((days_seen - 0.9) / 0.5, 0.0, 1.0)

    def update(self, day: int, hour: int, counts: np.ndarray, rows: np.ndarray | None = None) -> None:
        """Learn one closed window's counts (clipped where a spike must not be learned), for `rows` (a boolean
        mask; default all): a scope learns only from windows since its first signal."""
        if rows is not None and not rows.all():
            self._update_masked(day, hour, counts, rows)
            return
        slot = day * 24 + hour
        self.slot_sum[:, slot] = self.slot_sum[:, slot] * self.decay_slot + counts
        self.slot_w[:, slot] = self.slot_w[:, slot] * self.decay_slot + 1
        self.hour_sum[:, hour] = self.hour_sum[:, hour] * self.decay_hour + counts
        self.hour_w[:, hour] = self.hour_w[:, hour] * self.decay_hour + 1
        self.day_sum[:, day] = self.day_sum[:, day] * self.decay_day + counts
        self.day_w[:, day] = self.day_w[:, day] * self.decay_day + 1
        self.all_sum = self.all_sum * self.decay_all + counts
        self.all_w = self.all_w * self.decay_all + 1

    def _update_masked(self, day: int, hour: int, counts: np.ndarray, rows: np.ndarray) -> None:
        """update() for the rows in the boolean mask only."""
        slot = day * 24 + hour
        idx = np.flatnonzero(rows)
        c = counts[idx]
        for total, weight, column, decay in ((self.slot_sum, self.slot_w, slot, self.decay_slot),
                                             (self.hour_sum, self.hour_w, hour, self.decay_hour),
                                             (self.day_sum, self.day_w, day, self.decay_day)):
            total[idx, column] = total[idx, column] * decay + c
            weight[idx, column] = weight[idx, column] * decay + 1
        self.all_sum[idx] = self.all_sum[idx] * self.decay_all + c
        self.all_w[idx] = self.all_w[idx] * self.decay_all + 1

    _ARRAYS = ("slot_sum", "slot_w", "hour_sum", "hour_w", "day_sum", "day_w", "all_sum", "all_w")

    def to_state(self) -> dict[str, Any]:
        """JSON-ready aggregates (exact, so a restored detector decides exactly as the original)."""
        return arrays_state(self, self._ARRAYS)

    def load_state(self, state: dict[str, Any], parents: list[int], levels: list[int]) -> None:
        """Restore aggregates saved by to_state for rows described by `parents` and `levels`."""
        self.grow(parents, levels)
        load_arrays(self, self._ARRAYS, state, "baseline")

"""The spike detector: counts enriched signals in fixed event-time windows and turns improbable counts into
alert episodes. Pure computation: no clock, network or database (the wall clock is only used to ignore
signals dated in the future).

Decisions depend on event time only. A window is tested when it closes; the window that is still filling
is also tested as signals arrive ("early"): each of its signals is tested against the expectation for the
minutes of the window passed at that signal's time, and an alert is raised at the time of the first signal
that made the count improbable. That time is computed from the signals' own timestamps, so a replay at full
speed raises the same alerts, with the same times and contents, as the live stream did.
"""
from __future__ import annotations

import logging
import math
import time
from collections import Counter, deque
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

import numpy as np

from pipeline.alerts.baseline import SeasonalBaseline
from pipeline.alerts.calendar_nl import SlotClock
from pipeline.alerts.calibration import LEVELS, TailCalibration
from pipeline.alerts.config import DetectorConfig
from pipeline.alerts.context import pick_examples, pick_new_terms
from pipeline.alerts.dispersion import DispersionModel
from pipeline.alerts.episodes import EpisodeTracker, Finding, best_finding
from pipeline.alerts.findings import (
    Z_FLOOR,
    could_alert,
    level_thresholds,
    minimal_alerting_count,
    negative_share_finding,
    tail_probabilities,
    tail_probability,
    variance,
    volume_finding,
)
from pipeline.alerts.hierarchy import Part, explaining_part
from pipeline.alerts.learning import PendingWindow
from pipeline.alerts.level import LevelTracker, winsorised
from pipeline.alerts.model import AlertEvent
from pipeline.alerts.scopes import Scope, ScopeIndex
from pipeline.alerts.slot_noise import SlotNoise
from pipeline.alerts.stats import count_sf
from pipeline.alerts.terms import TermBackground
from pipeline.alerts.windows import DocFacts, WindowBucket, doc_facts

log = logging.getLogger(__name__)

SNAPSHOT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
NEGATIVE_PRIOR_WEIGHT = 20.0
MAX_LOGGED_REJECTS = 20
LEARN_CLIP_P = 1e-4   # once warm, a window this improbable is learned only up to close_ratio x expected


class SpikeDetector:
    """Feed enriched signals with observe(); close windows with advance(); persist with snapshot()/restore()."""

    def __init__(self, config: DetectorConfig | None = None) -> None:
        """A detector with no history; `config` defaults to DetectorConfig()."""
        self.config = (config or DetectorConfig()).validate()
        cfg = self.config
        self.window_seconds = cfg.window_minutes * 60
        self.window = timedelta(seconds=self.window_seconds)
        self.keep = cfg.history_windows
        self.clock = SlotClock(cfg.timezone, cfg.holidays)
        self.index = ScopeIndex(cfg.max_scopes)
        self.baseline = SeasonalBaseline(cfg)
        self.tau_windows = 1.0 / max(1e-12, 1.0 - self.baseline.decay_all)
        self.dispersion = DispersionModel(cfg.spans, self.baseline.decay_all, cfg.default_inverse_size,
                                          cfg.max_inverse_size, cfg.inverse_size, cfg.max_extra_poisson)
        self.level = LevelTracker(self.baseline.windows_per_hour, cfg.level_hours, cfg.level_prior_windows)
        self.slot_noise = SlotNoise(self.baseline.decay_slot, self.baseline.decay_all, cfg.slot_noise_prior,
                                    4 * cfg.slot_noise_prior)
        self.calibration = TailCalibration(math.exp(-1 / (self.baseline.windows_per_hour * 24 * cfg.tail_memory_days)),
                                           cfg.tail_prior_windows)
        self.buckets: dict[int, WindowBucket] = {}
        self.history: deque[WindowBucket] = deque(maxlen=self.keep)
        self.pending: deque[PendingWindow] = deque()
        self.hist_x = np.zeros((0, self.keep))
        self.hist_mu = np.zeros((0, self.keep))
        self.hist_neg = np.zeros((0, self.keep))
        self.neg_sum = np.zeros(0)
        self.neg_total = np.zeros(0)
        self.terms: dict[str, TermBackground] = {}
        self.episodes = EpisodeTracker(cfg)
        self.next_index: int | None = None
        self.first_index: int | None = None
        self.max_seen: float | None = None
        self.stats: Counter[str] = Counter()
        self._keys_cache: dict[tuple[str, str | None, str | None], tuple[list[str], list[int]]] = {}
        self._row_counts: dict[int, Counter[int]] = {}   # per open window: count per scope row
        self._born: dict[int, int] = {}                   # per scope row: window of its first signal
        self._levels = np.zeros(0, dtype=np.int64)
        self._row_topics = np.asarray([], dtype=str)
        self._topics: list[str] = []
        self._children: dict[int, list[int]] = {}         # per topic row: its channel and place rows
        self._now_cache: tuple[int, int, dict[str, Any]] | None = None

    # ---- input -------------------------------------------------------------------------------------

    def observe(self, docs: Iterable[dict[str, Any]]) -> list[AlertEvent]:
        """Count enriched signals (any order within a batch) and close windows the newest signal has passed."""
        cfg = self.config
        future_limit = None if cfg.max_future_minutes is None else time.time() + cfg.max_future_minutes * 60
        for doc in docs:
            try:
                facts = doc_facts(doc)
            except ValueError as err:
                self._reject("invalid", str(err))
                continue
            if future_limit is not None and facts.ts > future_limit:
                self._reject("future", f"{facts.id}: created_at {facts.created_at} is in the future")
                continue
            window = int(facts.ts // self.window_seconds)
            if self.next_index is not None and window < self.next_index:
                self.stats["late"] += 1
                continue
            # a date without a time of day: its scopes exist and time moves on, but nothing is counted (a day's
            # reports would otherwise all land in the day's first window)
            day_only = cfg.skip_day_only and self._day_only(facts)
            if day_only:
                self._reject("day_only", f"{facts.id}: created_at is exactly midnight, a date without a time of "
                             "day; spike detection needs the time")
            self._count(window, facts, counted=not day_only)
            self.max_seen = facts.ts if self.max_seen is None else max(self.max_seen, facts.ts)
        if self.max_seen is None:
            return []
        return self._close_until(self.max_seen - cfg.allowed_lateness_minutes * 60)

    def advance(self, watermark: datetime) -> list[AlertEvent]:
        """Close every window that ends at or before `watermark` (event time) and return the alert events."""
        if watermark.tzinfo is None:
            log.error("alert detector: advance() needs a timezone-aware watermark; ignored")
            return []
        return self._close_until(watermark.timestamp())

    @property
    def open_alerts(self) -> list[dict[str, Any]]:
        """The alerts of the episodes that are open now (JSON-ready)."""
        return [e.alert.to_dict() for _, e in sorted(self.episodes.open.items())]

    def _day_only(self, facts: DocFacts) -> bool:
        """True when a signal's time is exactly midnight, in its own offset or in the local time zone: what a
        source that keeps only the date writes (real reports virtually never arrive at 00:00:00.000000)."""
        if facts.midnight:
            return True
        if facts.ts % 900:          # local midnight is a whole quarter hour in UTC in every time zone in use
            return False
        return self.clock.is_local_midnight(facts.ts)

    def _reject(self, reason: str, detail: str) -> None:
        """Count a rejected signal; log the first few of each reason."""
        self.stats[reason] += 1
        if self.stats[reason] <= MAX_LOGGED_REJECTS:
            log.warning("alert detector: signal not counted (%s)", detail)

    def _count(self, window: int, facts: DocFacts, counted: bool = True) -> None:
        """Count one signal in its window, in every scope it belongs to (with `counted` False: only make sure
        the scopes and the window exist)."""
        cfg = self.config
        combo = (facts.topic, facts.channel, facts.place)
        cached = self._keys_cache.get(combo)
        if cached is None:
            scopes = [Scope.total(), Scope.of_topic(facts.topic)]
            if facts.channel and "channel" in cfg.scope_kinds:
                scopes.append(Scope(facts.topic, "channel", facts.channel))
            if facts.place and "place" in cfg.scope_kinds:
                scopes.append(Scope(facts.topic, "place", facts.place))
            pairs = [(s.key, self.index.row(s)) for s in scopes]
            cached = ([k for k, r in pairs if r is not None], [r for _, r in pairs if r is not None])
            if len(self._keys_cache) < cfg.max_scopes:
                self._keys_cache[combo] = cached
        keys, rows = cached
        for row in rows:
            if window < self._born.get(row, window + 1):
                self._born[row] = window
        bucket = self.buckets.get(window)
        if bucket is None:
            bucket = self.buckets[window] = WindowBucket(window)
            self._row_counts[window] = Counter()
        if not counted:
            return
        if bucket.add(facts, keys):
            row_counts = self._row_counts[window]
            for row in rows:
                row_counts[row] += 1
            self.stats["counted"] += 1
        else:
            self.stats["duplicate"] += 1

    # ---- closing windows ---------------------------------------------------------------------------

    def _close_until(self, watermark_ts: float) -> list[AlertEvent]:
        """Close windows whose end is at or before `watermark_ts`, skipping long silences."""
        target = int(watermark_ts // self.window_seconds)
        if self.next_index is None:
            if not self.buckets:
                return []
            self.next_index = min(self.buckets)
        events: list[AlertEvent] = []
        while self.next_index < target:
            if self.next_index not in self.buckets:
                upcoming = min((i for i in self.buckets if i >= self.next_index), default=target)
                if upcoming - self.next_index > self.config.max_gap_windows:
                    log.info("alert detector: skipping %d silent windows", upcoming - self.next_index)
                    self._reset_recent()
                    self.next_index = upcoming
                    continue
            events.extend(self._early_check(self.next_index))
            events.extend(self._close_window(self.next_index))
            self.next_index += 1
        events.extend(self._early_check(self.next_index))
        return events

    def _reset_recent(self) -> None:
        """Forget the recent windows after a long silence (they no longer form a span with the next ones)."""
        while self.pending:
            self._learn(self.pending.popleft())
        self.history.clear()
        self.hist_x[:] = 0
        self.hist_mu[:] = 0
        self.hist_neg[:] = 0

    def _sync_rows(self) -> None:
        """Give arrays a row for every scope added since the last window."""
        n = len(self.index)
        extra = n - self.hist_x.shape[0]
        if extra <= 0:
            return
        self.baseline.grow(self.index.parents, [s.level for s in self.index.scopes])
        self.dispersion.grow(n)
        self.level.grow(n)
        self.slot_noise.grow(n)
        self.calibration.grow(n)
        self._levels = np.asarray([s.level for s in self.index.scopes], dtype=np.int64)
        self._row_topics = np.asarray([s.topic for s in self.index.scopes])
        self._topics = sorted(set(self._row_topics.tolist()))
        self._children = {}
        for row, scope in enumerate(self.index.scopes):
            if scope.level == 2:
                self._children.setdefault(self.index.parents[row], []).append(row)
        pad = np.zeros((extra, self.keep))
        self.hist_x = np.vstack([self.hist_x, pad])
        self.hist_mu = np.vstack([self.hist_mu, pad])
        self.hist_neg = np.vstack([self.hist_neg, pad])
        self.neg_sum = np.concatenate([self.neg_sum, np.zeros(extra)])
        self.neg_total = np.concatenate([self.neg_total, np.zeros(extra)])

    def _is_warm(self, window: int) -> bool:
        """True once the detector has seen `warmup_hours` of windows and, with a warm-up of a day or more, has
        learned the local hours of day of every window a test spans (with exactly a day of history, the hour it
        began is otherwise still unknown). A warm-up set shorter than a day is the operator's choice to alert
        before every hour of the day has been seen."""
        if self.first_index is None:
            return False
        if (window - self.first_index + 1) * self.window_seconds < self.config.warmup_hours * 3600:
            return False
        if self.config.warmup_hours < 24:
            return True
        return all(self.baseline.hour_seen(self.clock.slot(self._start_of(w))[1])
                   for w in (window - self.keep + 1, window))

    def _start_of(self, window: int) -> datetime:
        """Start time of a window index."""
        return datetime.fromtimestamp(window * self.window_seconds, timezone.utc)

    def _counts_vector(self, counts: Counter[str]) -> np.ndarray:
        """Counts keyed by scope key as a vector over scope rows."""
        vector = np.zeros(len(self.index))
        for key, count in counts.items():
            row = self.index.get(key)
            if row is not None:
                vector[row] = count
        return vector

    def _row_vector(self, window: int) -> np.ndarray:
        """Counts per scope row of an open window."""
        vector = np.zeros(len(self.index))
        counts = self._row_counts.get(window)
        if counts:
            vector[np.fromiter(counts.keys(), dtype=np.int64)] = np.fromiter(counts.values(), dtype=float)
        return vector

    def _close_window(self, window: int) -> list[AlertEvent]:
        """Test the window, step the episodes and queue the window for learning."""
        cfg = self.config
        self._sync_rows()
        bucket = self.buckets.pop(window, None) or WindowBucket(window)
        bucket.finalize(cfg.max_examples)
        start = self._start_of(window)
        if self.first_index is None:
            self.first_index = window
        state = self._window_state(window)
        mu = state["mu"]
        x = self._row_vector(window)
        self._row_counts.pop(window, None)
        neg = self._counts_vector(Counter({Scope.of_topic(t).key: c for t, c in bucket.negatives.items()}))
        for arr, col in ((self.hist_x, x), (self.hist_mu, mu), (self.hist_neg, neg)):
            arr[:, :-1] = arr[:, 1:]
            arr[:, -1] = col
        self.history.append(bucket)
        warm = self._is_warm(window)
        findings = self._volume_findings(start, state) if warm else {}
        negative = self._negative_findings(start, state) if warm and cfg.negative_trigger else {}
        events = self._step_episodes(findings, negative, start + self.window, warm, window, state)
        self.pending.append(self._pending(window, x, state, neg, findings, negative, bucket, warm))
        while len(self.pending) > cfg.learn_lag_windows:
            self._learn(self.pending.popleft())
        self._now_cache = None
        return events

    def _active(self, window: int) -> np.ndarray:
        """Per row: has the scope had a signal in or before `window` (event time, whatever the batches)."""
        born = np.fromiter((self._born.get(r, 1 << 62) for r in range(len(self.index))), dtype=np.int64,
                           count=len(self.index))
        return born <= window

    def _window_state(self, window: int) -> dict[str, Any]:
        """Expected counts and dispersion for `window`, plus sums over the closed windows before it (cached).

        Until a scope's weekly slot has a week of history its expectation rests on the prior (the hour-of-day
        and day-of-week shape, or the parent's); that uncertainty is added to the quadratic dispersion term,
        so a young baseline alerts only on clear spikes.
        """
        n = len(self.index)
        if self._now_cache is not None and self._now_cache[0] == window and self._now_cache[1] == n:
            return self._now_cache[2]
        cfg = self.config
        day, hour = self.clock.slot(self._start_of(window))
        young = cfg.prior_uncertainty * self.baseline.first_week_share(day, hour) ** 2
        scale = self.slot_noise.scale(day * 24 + hour) if cfg.slot_dispersion else np.ones(n)
        extra_a: dict[int, np.ndarray] = {}
        inv_b: dict[int, np.ndarray] = {}
        base_var = np.zeros(n)
        seasonal, error_noise, error_prior = self.baseline.expected_with_error(day, hour)
        factor = self.level.factor() if cfg.level_tracking else np.ones(n)
        mu = np.maximum(seasonal * factor, cfg.min_expected)
        for i, span in enumerate(cfg.spans):
            a, b = self.dispersion.estimate(i, self.baseline.parents, self.baseline.level_rows)
            if i == 0:
                base_var = variance(cfg, mu, a, b + young)
            extra_a[span], inv_b[span] = (1 + a) * scale - 1, (b + young) * scale
        thresholds = level_thresholds(cfg, self.index.scopes, self._active(window))
        if cfg.tail_calibration:
            thresholds = self.calibration.thresholds(thresholds)
        elevated = np.zeros(n, dtype=bool)
        if cfg.persistence:
            elevated = self._elevated_before(mu, extra_a[cfg.spans[0]], inv_b[cfg.spans[0]])
            thresholds = np.where(elevated, thresholds, thresholds * cfg.fast_factor)
        state = {"mu": mu, "level": factor, "base_var": base_var, "a": extra_a, "b": inv_b, "elevated": elevated,
                 "confidence": self.baseline.noise_confidence(day, hour), "needed": {}, "thresholds": thresholds,
                 "error_noise": error_noise, "error_prior": error_prior,
                 "prev_x": {s: self.hist_x[:, self.keep - s + 1:].sum(axis=1) for s in self.config.spans},
                 "prev_mu": {s: self.hist_mu[:, self.keep - s + 1:].sum(axis=1) for s in self.config.spans}}
        self._now_cache = (window, n, state)
        return state

    def _elevated_before(self, mu: np.ndarray, extra_a: np.ndarray, inv_b: np.ndarray) -> np.ndarray:
        """Per row: was the last closed window clearly above what was expected of it (`confirm_z` sd and
        `confirm_ratio`)? A rise that persists is tested at the normal threshold; a burst out of a normal
        window must be extreme (`fast_factor`)."""
        cfg = self.config
        x_prev, mu_prev = self.hist_x[:, -1], self.hist_mu[:, -1]
        spread = np.sqrt(np.maximum(variance(cfg, np.maximum(mu_prev, cfg.min_expected), extra_a, inv_b), 1e-12))
        return (x_prev >= 1) & (x_prev >= cfg.confirm_ratio * mu_prev) & (x_prev >= mu_prev + cfg.confirm_z * spread)

    # ---- tests at window close ---------------------------------------------------------------------

    def _needed(self, state: dict[str, Any], span: int, row: int, expect: float, fast: bool = False) -> int | None:
        """Smallest total over `span` windows that alerts for scope `row` with this expectation (cached per window);
        `fast`: at the fast-path threshold (a rise that did not persist)."""
        key = (span, row, round(expect, 9), fast)
        cache = state["needed"]
        if key not in cache:
            threshold = float(state["thresholds"][row]) * (self.config.fast_factor if fast else 1.0)
            cache[key] = minimal_alerting_count(self.config, expect, float(state["a"][span][row]),
                                                float(state["b"][span][row]), threshold)
        return cache[key]

    def _confirms(self, state: dict[str, Any], row: int, count: float, expect: float) -> bool:
        """Is `count` (the newest window, or its part so far) clearly above `expect` (`confirm_z` sd and
        `confirm_ratio`)? With the window before elevated too, a rise has persisted over two windows."""
        cfg = self.config
        span = cfg.spans[0]
        spread = math.sqrt(max(float(variance(cfg, max(expect, cfg.min_expected), float(state["a"][span][row]),
                                              float(state["b"][span][row]))), 1e-12))
        return count >= 1 and count >= cfg.confirm_ratio * expect and count >= expect + cfg.confirm_z * spread

    def _needs_newest(self, state: dict[str, Any], span: int, row: int) -> bool:
        """True when a test over `span` windows must also see its newest window elevated to use the normal
        threshold (`persist_newest`): the window before was elevated, and the span reaches past the newest window,
        so a burst that has already faded (its peak in the window before) cannot carry the test alone."""
        return bool(self.config.persistence and self.config.persist_newest and span > 1 and state["elevated"][row])

    def _volume_findings(self, last_start: datetime, state: dict[str, Any]) -> dict[str, list[Finding]]:
        """Improbable counts per topic: every scope, every span ending at the window just closed."""
        cfg = self.config
        best: dict[int, Finding] = {}
        for span in cfg.spans:
            total = self.hist_x[:, -span:].sum(axis=1)
            expect = state["prev_mu"][span] + state["mu"]
            candidates = np.flatnonzero((self._levels > 0) & could_alert(
                cfg, total, expect, state["a"][span], state["b"][span], state["thresholds"]))
            for row in candidates:
                needed = self._needed(state, span, int(row), float(expect[row]))
                if needed is None or total[row] < needed:
                    continue
                if self._needs_newest(state, span, int(row)) and not self._confirms(
                        state, int(row), float(self.hist_x[row, -1]), float(self.hist_mu[row, -1])):
                    needed = self._needed(state, span, int(row), float(expect[row]), fast=True)
                    if needed is None or total[row] < needed:
                        continue
                p = tail_probability(cfg, int(total[row]), float(expect[row]), float(state["a"][span][row]),
                                     float(state["b"][span][row]))
                if row in best and best[row].p_value <= p:
                    continue
                recent = list(self.history)[-span:]
                if not self._corroborated(int(row), span, state, recent, float(total[self._parent(int(row))])
                                          if self._levels[row] == 2 else 0.0):
                    continue
                spread = math.sqrt(float(variance(cfg, float(expect[row]), float(state["a"][span][row]),
                                                  float(state["b"][span][row]))))
                best[row] = volume_finding(self.index.scopes[row], span, self.hist_x[row, -span:],
                                           self.hist_mu[row, -span:], p, last_start, self.window, spread)
        grouped: dict[str, list[Finding]] = {}
        for row, finding in best.items():
            grouped.setdefault(self.index.scopes[row].topic, []).append(finding)
        return grouped

    def _negative_findings(self, last_start: datetime, state: dict[str, Any]) -> dict[str, Finding]:
        """Topics whose share of negative signals over the last `negative_span` windows rose improbably."""
        span = self.config.negative_span
        out: dict[str, Finding] = {}
        for row, scope in enumerate(self.index.scopes):
            if scope.kind != "topic":
                continue
            finding = negative_share_finding(self.config, scope, self.hist_x[row, -span:], self.hist_neg[row, -span:],
                                             self.hist_mu[row, -span:], self._usual_negative_share(row), last_start,
                                             self.window)
            if finding is not None:
                # the band of the volume it is about: the modelled spread of the topic's count over its windows
                tested = finding.span if finding.span in state["a"] else self.config.spans[-1]
                finding.spread = math.sqrt(max(float(variance(self.config, finding.expected,
                                                              float(state["a"][tested][row]),
                                                              float(state["b"][tested][row]))), 0.0))
                out[scope.topic] = finding
        return out

    def _usual_negative_share(self, row: int) -> float:
        """The learned share of negative signals of a topic row (with a prior)."""
        cfg = self.config
        share = (self.neg_sum[row] + NEGATIVE_PRIOR_WEIGHT * cfg.negative_prior_share) / \
            (self.neg_total[row] + NEGATIVE_PRIOR_WEIGHT)
        return float(min(max(share, 0.01), 0.99))

    def _window_elevated(self, row: int) -> bool:
        """True when the window just closed is still clearly above normal for scope `row`."""
        cfg = self.config
        x, mu = int(self.hist_x[row, -1]), float(self.hist_mu[row, -1])
        if x < 1 or x < cfg.close_ratio * mu:
            return False
        return count_sf(x, mu, "poisson", None) < cfg.close_p_threshold

    # ---- early test of the window that is filling --------------------------------------------------

    def _early_check(self, window: int) -> list[AlertEvent]:
        """Open episodes as soon as the filling window's count (with the closed windows of the span) alerts."""
        bucket = self.buckets.get(window)
        if bucket is None or not bucket.dirty or window != self.next_index or not self._is_warm(window):
            return []
        bucket.dirty = False
        self._sync_rows()
        cfg = self.config
        state = self._window_state(window)
        x_now = self._row_vector(window)
        start = self._start_of(window)
        crossings: dict[str, list[tuple[float, Finding]]] = {}
        # candidates by the smallest expectation any signal of this window is tested against (its first
        # minute), so a replay in big batches finds every crossing the live stream found
        share_min = self._elapsed_share(start.timestamp(), start)
        for span in cfg.spans:
            prev_x, prev_mu = state["prev_x"][span], state["prev_mu"][span]
            total = prev_x + x_now
            expect = prev_mu + state["mu"] * share_min
            candidates = np.flatnonzero((self._levels > 0) & (x_now > 0) & could_alert(
                cfg, total, expect, state["a"][span], state["b"][span], state["thresholds"]))
            for row in candidates:
                scope = self.index.scopes[row]
                if scope.topic in self.episodes.open:
                    continue
                crossing = self._crossing(row, span, bucket, state, float(prev_x[row]), float(prev_mu[row]),
                                          int(total[row]), start)
                if crossing is not None:
                    crossings.setdefault(scope.topic, []).append(crossing)
        events: list[AlertEvent] = []
        for topic in sorted(crossings):
            first = min(t for t, _ in crossings[topic])
            at = datetime.fromtimestamp(first, timezone.utc)
            if self.episodes.in_cooldown(topic, at):
                continue
            known = [f for t, f in crossings[topic] if t <= first]
            chosen = self._explained(topic, best_finding(known), state, known, bucket, first)
            recent = [bucket] + list(self.history)[::-1][: chosen.span - 1]
            examples = pick_examples(recent, chosen.scope_key, cfg.max_examples, until=first)
            terms = pick_new_terms(recent, Scope.of_topic(topic).key, self.terms.get(topic), cfg.max_new_terms,
                                   until=first)
            events.append(self.episodes.open_episode(topic, chosen, known, at, examples, terms))
            self.episodes.open[topic].early_window = window
        return events

    def _elapsed_share(self, ts: float, start: datetime) -> float:
        """The part of the window starting at `start` that has passed at `ts`, rounded up to whole minutes
        (1 when early tests compare with the whole window's expectation, `early_partial_expectation` off)."""
        if not self.config.early_partial_expectation:
            return 1.0
        minutes = self.window_seconds / 60
        passed = math.ceil(max(ts - start.timestamp(), 1e-9) / 60)
        return min(1.0, max(1.0, passed) / minutes)

    def _crossing(self, row: int, span: int, bucket: WindowBucket, state: dict[str, Any], prev_x: float,
                  prev_mu: float, total: int, start: datetime) -> tuple[float, Finding] | None:
        """When (event time) the count of scope `row` over `span` became alerting, and the finding at that moment.

        The filling window's part of the expectation grows with the minutes passed, so each signal is tested
        against the expectation up to its own minute; the first signal that makes the count alert is the moment."""
        scope = self.index.scopes[row]
        mu_row = float(state["mu"][row])
        times = bucket.times(scope.key)
        moment = needed = expect = None
        last = min(len(times), total - int(prev_x)) - 1
        j = max(0, int(self.config.min_count - prev_x) - 1)
        newest = self._needs_newest(state, span, row)
        while j <= last:
            share = self._elapsed_share(times[j], start)
            target = self._needed(state, span, row, prev_mu + mu_row * share)
            if target is None:
                return None   # the expectation only grows with j: no later signal can alert either
            if target <= prev_x:   # the closed windows alone already alerted: nothing new in this window
                return None
            if prev_x + j + 1 >= target:
                if newest and not self._confirms(state, row, j + 1, mu_row * share):
                    fast = self._needed(state, span, row, prev_mu + mu_row * share, fast=True)
                    if fast is None or prev_x + j + 1 < fast:
                        j += 1          # not yet: the window filling now must rise too, or the total be extreme
                        continue
                    target = fast
                moment, needed, expect = times[j], target, prev_mu + mu_row * share
                break
            j = int(target - prev_x) - 1   # the count reaches this target at signal j at the earliest
        if moment is None or needed is None or expect is None:
            return None
        if scope.kind in ("place", "channel"):
            parent = self._parent(row)
            parent_total = float(state["prev_x"][span][parent]) + sum(
                1 for t in bucket.times(self.index.scopes[parent].key) if t <= moment)
            recent = [bucket] + list(self.history)[::-1][: span - 1]
            if not self._corroborated(row, span, state, recent, parent_total, until=moment):
                return None
        elapsed = self._elapsed_share(moment, start) if self.config.early_partial_expectation else \
            min(max((moment - start.timestamp()) / self.window_seconds, 1 / 15), 1.0)
        xs = np.append(self.hist_x[row, self.keep - span + 1:], needed - prev_x)
        mus = np.append(self.hist_mu[row, self.keep - span + 1:], state["mu"][row] * elapsed)
        p_value = tail_probability(self.config, needed, expect, float(state["a"][span][row]),
                                   float(state["b"][span][row]))
        spread = math.sqrt(float(variance(self.config, expect, float(state["a"][span][row]),
                                          float(state["b"][span][row]))))
        return moment, volume_finding(scope, span, xs, mus, p_value, start, self.window, spread)

    def _explained(self, topic: str, chosen: Finding, state: dict[str, Any], findings: list[Finding],
                   bucket: WindowBucket | None = None, until: float | None = None) -> Finding:
        """The finding an incident is named after: the most specific scope that explains the burst.

        Over the windows of the chosen volume finding, the topic's excess is compared with that of each of its
        channels and places (in the filling window only the signals up to `until` count); a sub-scope that holds
        most of it, more than its usual share, names the incident. Otherwise the topic (when it fired) or the
        sub-scope that fired is named."""
        if chosen.trigger != "volume":
            return chosen
        topic_row = self.index.get(Scope.of_topic(topic).key)
        if topic_row is None:
            return chosen
        rows = [topic_row] + self._children.get(topic_row, [])
        observed, expected = self._burst_totals(rows, chosen, state, bucket, until)
        parts = [Part(r, self.index.scopes[r].kind, observed[i + 1], expected[i + 1]) for i, r in enumerate(rows[1:])]
        cfg = self.config
        part = explaining_part(observed[0], expected[0], parts, cfg.min_count, cfg.min_ratio)
        if part is None:
            topic_findings = [f for f in findings if f.level == 1 and f.trigger == "volume"]
            if topic_findings:
                return best_finding(topic_findings)
            if chosen.level == 2 and observed[0] >= cfg.min_ratio * expected[0]:
                # a channel or place fired first, but the burst is the topic's: name the topic
                return self._finding_for(topic_row, observed[0], expected[0], chosen, state)
            return chosen
        same = [f for f in findings if f.scope_key == self.index.scopes[part.row].key]
        if same:
            return same[0]
        return self._finding_for(part.row, part.observed, part.expected, chosen, state)

    def _finding_for(self, row: int, observed: float, expected: float, chosen: Finding,
                     state: dict[str, Any]) -> Finding:
        """A volume finding for scope `row` over the windows of `chosen` (its p-value under the row's model)."""
        cfg = self.config
        span = chosen.span if chosen.span in state["a"] else cfg.spans[-1]
        a, b = float(state["a"][span][row]), float(state["b"][span][row])
        p_value = tail_probability(cfg, int(observed), expected, a, b)
        spread = math.sqrt(float(variance(cfg, expected, a, b)))
        scope = self.index.scopes[row]
        return Finding(scope_key=scope.key, scope=scope.as_alert_scope(), span=chosen.span,
                       observed=int(observed), expected=expected, p_value=p_value, trigger="volume",
                       start=chosen.start, level=scope.level, spread=spread)

    def _burst_totals(self, rows: list[int], chosen: Finding, state: dict[str, Any], bucket: WindowBucket | None,
                      until: float | None) -> tuple[list[float], list[float]]:
        """Observed and expected counts of `rows` from the chosen finding's start: closed windows, plus the
        filling window's signals up to `until` when `bucket` is given."""
        end = self._start_of(self.next_index) if bucket is not None and self.next_index is not None else None
        if end is None:
            last = self.history[-1].index if self.history else 0
            end = self._start_of(last + 1)
        back = min(self.keep, max(0, int(round((end - chosen.start) / self.window))))
        observed = [float(self.hist_x[r, self.keep - back:].sum()) if back else 0.0 for r in rows]
        expected = [float(self.hist_mu[r, self.keep - back:].sum()) if back else 0.0 for r in rows]
        if bucket is not None and until is not None:
            share = self._elapsed_share(until, self._start_of(bucket.index))
            for i, r in enumerate(rows):
                observed[i] += sum(1 for t in bucket.times(self.index.scopes[r].key) if t <= until)
                expected[i] += float(state["mu"][r]) * share
        return observed, expected

    def _parent(self, row: int) -> int:
        """Row of the parent scope."""
        return self.index.parents[row]

    def _corroborated(self, row: int, span: int, state: dict[str, Any], recent: list[WindowBucket],
                      parent_total: float, until: float | None = None) -> bool:
        """Independent evidence for a sub-scope finding: a place needs its signals spread over channels (a reply
        cascade stays on one platform); a channel needs its whole topic to be improbably busy as well."""
        cfg = self.config
        scope = self.index.scopes[row]
        if scope.kind == "place":
            channels: Counter[str] = Counter()
            for bucket in recent:
                channels.update(bucket.channels_for(scope.key, until if bucket.index == self.next_index else None))
            total = sum(channels.values())
            return total > 0 and max(channels.values()) <= cfg.place_max_channel_share * total
        if scope.kind == "channel":
            parent = self._parent(row)
            expect = float(state["prev_mu"][span][parent] + state["mu"][parent])
            p = tail_probability(cfg, int(parent_total), expect, float(state["a"][span][parent]),
                                 float(state["b"][span][parent]))
            return p < cfg.channel_corroboration_p
        return True

    # ---- episodes ----------------------------------------------------------------------------------

    def _step_episodes(self, findings: dict[str, list[Finding]], negative: dict[str, Finding],
                       now: datetime, warm: bool, window: int, state: dict[str, Any]) -> list[AlertEvent]:
        """Continue open episodes and open new ones (cooldown permitting) for a closed window."""
        cfg = self.config
        events: list[AlertEvent] = []
        for topic in sorted(set(findings) | set(negative) | set(self.episodes.open)):
            topic_findings = list(findings.get(topic, []))
            if topic in negative:
                topic_findings.append(negative[topic])
            episode = self.episodes.open.get(topic)
            if episode is not None:
                row = self.index.rows[episode.scope_key]
                totals = None
                if episode.early_window == window:
                    back = int(round((now - episode.alert.start) / self.window))
                    back = min(max(back, 1), self.keep)
                    totals = (int(self.hist_x[row, -back:].sum()), float(self.hist_mu[row, -back:].sum()))
                elevated = any(self._window_elevated(r) for r in self._episode_rows(topic, row)) or any(
                    f.span == 1 for f in topic_findings if f.trigger == "volume") or (
                    episode.alert.trigger == "negative_share" and topic in negative)
                recent = list(self.history)[::-1]
                event = self.episodes.continue_episode(
                    topic, now, int(self.hist_x[row, -1]), float(self.hist_mu[row, -1]), elevated, topic_findings,
                    pick_examples(recent[:1], episode.scope_key, cfg.max_examples,
                                  prefer_negative=episode.alert.trigger == "negative_share"),
                    pick_new_terms(recent, Scope.of_topic(topic).key, self.terms.get(topic), cfg.max_new_terms),
                    totals)
                if event is not None:
                    events.append(event)
                continue
            if not topic_findings or not warm:
                continue
            if self.episodes.in_cooldown(topic, now):
                self.episodes.suppressed += 1
                continue
            chosen = self._explained(topic, best_finding(topic_findings), state, topic_findings)
            span = max(1, int(round((now - chosen.start) / self.window)))
            recent = list(self.history)[::-1][:span]
            events.append(self.episodes.open_episode(
                topic, chosen, topic_findings, now,
                pick_examples(recent, chosen.scope_key, cfg.max_examples,
                              prefer_negative=chosen.trigger == "negative_share"),
                pick_new_terms(recent, Scope.of_topic(topic).key, self.terms.get(topic), cfg.max_new_terms)))
        return events

    def _episode_rows(self, topic: str, row: int) -> list[int]:
        """The rows an open episode watches: the scope it is named after and the other scopes that fired with it
        (a burst named after its topic may still run in the channel or place that crossed first)."""
        episode = self.episodes.open[topic]
        rows = [row]
        for scope in episode.alert.related_scopes:
            found = self.index.get(Scope(topic, scope["type"], scope["value"]).key) \
                if scope["type"] != "topic" else self.index.get(Scope.of_topic(topic).key)
            if found is not None and found not in rows:
                rows.append(found)
        return rows

    # ---- learning ----------------------------------------------------------------------------------

    def _pending(self, window: int, x: np.ndarray, state: dict[str, Any], neg: np.ndarray,
                 findings: dict[str, list[Finding]], negative: dict[str, Finding], bucket: WindowBucket,
                 warm: bool) -> PendingWindow:
        """What to learn from a closed window later; once warm, improbable counts are marked to be clipped."""
        cfg = self.config
        mu = state["mu"]
        clip: set[int] = set()
        spread = np.sqrt(np.maximum(variance(cfg, mu, state["a"][cfg.spans[0]], state["b"][cfg.spans[0]]), 1e-12))
        if warm:
            rows = np.flatnonzero((x > cfg.close_ratio * mu) & (x >= 3) & (x >= mu + Z_FLOOR * spread))
            p = tail_probabilities(cfg, x[rows], mu[rows], state["a"][1][rows], state["b"][1][rows])
            clip.update(int(row) for row in rows[p < LEARN_CLIP_P])
        return PendingWindow(window=window, x=x, mu=mu.copy(), neg=neg, clip_rows=sorted(clip),
                             p_bins=self._p_bins(state) if cfg.tail_calibration else [],
                             negative_topics=sorted(set(negative) | set(findings)), terms=dict(bucket.terms),
                             topic_docs={k: bucket.counts.get(k, 0) for k in bucket.terms},
                             span_x=[self.hist_x[:, -s:].sum(axis=1) for s in cfg.spans],
                             span_mu=[self.hist_mu[:, -s:].sum(axis=1) for s in cfg.spans],
                             confidence=state["confidence"].copy(), level=state["level"].copy(),
                             spread=spread, base_var=state["base_var"].copy(),
                             error_noise=state["error_noise"].copy(), error_prior=state["error_prior"].copy())

    def _p_bins(self, state: dict[str, Any]) -> list[np.ndarray]:
        """Per span: how many calibration levels the p-value of the span ending at the newest closed window fell
        below (tails are computed only for counts at least two standard deviations above expected)."""
        cfg = self.config
        out = []
        for span in cfg.spans:
            total = self.hist_x[:, -span:].sum(axis=1)
            expect = np.maximum(self.hist_mu[:, -span:].sum(axis=1), cfg.min_expected)
            a, b = state["a"][span], state["b"][span]
            spread = np.sqrt(np.maximum(variance(cfg, expect, a, b), 1e-12))
            bins = np.zeros(len(total))
            rows = np.flatnonzero((self._levels > 0) & (total >= 1) & (total >= expect + 2.0 * spread))
            p = tail_probabilities(cfg, total[rows], expect[rows], a[rows], b[rows])
            bins[rows] = (p[:, None] < np.asarray(LEVELS)[None, :]).sum(axis=1)
            out.append(bins)
        return out

    def _learn(self, item: PendingWindow) -> None:
        """Fold a pending window into the baselines. Topics whose alert episode covers the window (or that had
        a finding in it) are learned only up to close_ratio x expected and teach nothing about noise;
        other improbable counts are clipped for the level but still count as noise."""
        cfg = self.config
        n = len(self.index)
        x = item.pad(item.x, n, 0.0)
        mu = item.pad(item.mu, n, cfg.min_expected)
        neg = item.pad(item.neg, n, 0.0)
        start = self._start_of(item.window)
        end = start + self.window
        row_topics = self._row_topics
        topics = self._topics
        alerted = {t for t in topics if t in item.negative_topics or self.episodes.covers(t, start, end)}
        learn = x.copy()
        confidence = item.pad(item.confidence if item.confidence is not None else np.zeros(0), n, 0.0)
        if item.spread is not None and cfg.winsor_z:
            # only where the slot's expectation rests on its own history: a young slot learns what it sees
            settled_slot = confidence >= 1.0
            learn = np.where(settled_slot, winsorised(x, mu, item.pad(item.spread, n, 0.0) + 1e-9, cfg.winsor_z), x)
        clip = np.zeros(n, dtype=bool)
        clip[[r for r in item.clip_rows if r < n]] = True
        clip |= np.isin(row_topics, sorted(alerted))
        learn[clip] = np.minimum(learn[clip], cfg.close_ratio * mu[clip])
        active = self._active(item.window)
        day, hour = self.clock.slot(start)
        hour_known = self.baseline.hour_confidence(hour)   # before this window is learned: as when it was tested
        self.baseline.update(day, hour, learn, active)
        level = item.pad(item.level if item.level is not None else np.zeros(0), n, 1.0)
        # like the winsorising, the level follows only slots the seasonal baseline knows: before that a quiet
        # weekend or night is the baseline's gap, not a level shift
        self.level.update(learn, mu / np.maximum(level, 1e-9), active & (confidence >= 1.0))
        # noise and tail rates are learned only where the slot's expectation rests on a week of its own
        # history: before that its errors are the prior's, not the scope's
        settled = active & ~np.isin(row_topics, sorted(alerted)) & (confidence >= 1.0)
        if item.base_var is not None:
            self.slot_noise.learn(day * 24 + hour, x, mu, item.pad(item.base_var, n, 1.0), settled.astype(float))
        if item.p_bins:
            self.calibration.learn([item.pad(b, n, 0.0) for b in item.p_bins], settled)
        # a slot without a week of history still teaches dispersion (at a lower weight) once the scope's own
        # hour of day carries its expectation: the first day's errors are the prior's
        young = (confidence < 1.0) & (cfg.young_noise_weight > 0)
        confidence = np.maximum(confidence, cfg.young_noise_weight * hour_known)
        # a young expectation is a mean of few days or one week (or the parent's shape): its own error is part
        # of the young window's residual, shared by the windows of a span, and is taken out before learning
        error_noise = np.where(young, item.pad(_or_empty(item.error_noise), n, 0.0), 0.0)
        error_prior = np.where(young, item.pad(_or_empty(item.error_prior), n, 0.0), 0.0)
        for i, span in enumerate(cfg.spans[: len(item.span_x)]):
            span_start = start - (span - 1) * self.window
            noisy = [t for t in topics if t in alerted or self.episodes.covers(t, span_start, end)]
            mask = ~np.isin(row_topics, noisy) & active
            self.dispersion.learn(i, item.pad(item.span_x[i], n, 0.0), item.pad(item.span_mu[i], n, cfg.min_expected),
                                  confidence * mask, error_noise, error_prior)
        decay = self.baseline.decay_all
        neg_learn = neg.copy()
        for topic in sorted(alerted):
            row = self.index.rows.get(Scope.of_topic(topic).key)
            if row is not None:
                neg_learn[row] = min(neg[row], x[row] * self._usual_negative_share(row))
        self.neg_sum = np.where(active, self.neg_sum * decay + neg_learn, self.neg_sum)
        self.neg_total = np.where(active, self.neg_total * decay + x, self.neg_total)
        for topic_key, counts in item.terms.items():
            topic = Scope.from_key(topic_key).topic
            background = self.terms.get(topic)
            if background is None:
                background = self.terms[topic] = TermBackground(cfg.term_memory, self.tau_windows, item.window)
            background.add_window(item.window, counts, item.topic_docs.get(topic_key, 0))

    # ---- persistence -------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The full state as JSON-ready data (config, baselines, open windows and episodes)."""
        self._sync_rows()   # scopes first seen in the open window get their rows, so keys and arrays agree
        return {
            "version": SNAPSHOT_VERSION, "config": self.config.to_dict(), "scopes": self.index.keys(),
            "baseline": self.baseline.to_state(), "dispersion": self.dispersion.to_state(),
            "level": self.level.to_state(), "slot_noise": self.slot_noise.to_state(),
            "calibration": self.calibration.to_state(),
            "hist_x": self.hist_x.tolist(),
            "hist_mu": self.hist_mu.tolist(), "hist_neg": self.hist_neg.tolist(),
            "neg_sum": self.neg_sum.tolist(), "neg_total": self.neg_total.tolist(),
            "history": [b.to_state() for b in self.history],
            "pending": [p.to_state() for p in self.pending],
            "buckets": [b.to_state() for _, b in sorted(self.buckets.items())],
            "terms": {t: bg.to_state() for t, bg in self.terms.items()}, "episodes": self.episodes.to_state(),
            "next_index": self.next_index, "first_index": self.first_index, "max_seen": self.max_seen,
            "born": {str(r): w for r, w in sorted(self._born.items())},
            "stats": dict(self.stats),
        }

    @classmethod
    def restore(cls, state: dict[str, Any], config: DetectorConfig | None = None) -> "SpikeDetector":
        """A detector that continues exactly where snapshot() left off (optionally with a new config)."""
        if not isinstance(state, dict) or state.get("version") not in READABLE_VERSIONS:
            raise ValueError("not a detector snapshot of a supported version")
        detector = cls(config or DetectorConfig.from_mapping(state["config"]))
        cfg = detector.config
        detector.index = ScopeIndex.from_keys(list(state["scopes"]), cfg.max_scopes)
        detector._sync_rows()
        detector.baseline.load_state(state["baseline"], detector.index.parents,
                                     [s.level for s in detector.index.scopes])
        detector.dispersion.load_state(state["dispersion"], len(detector.index))
        detector.level.load_state(state.get("level"), len(detector.index))
        detector.slot_noise.load_state(state.get("slot_noise"), len(detector.index))
        detector.calibration.load_state(state.get("calibration"), len(detector.index))
        for name in ("hist_x", "hist_mu", "hist_neg"):
            saved = np.asarray(state[name], dtype=float).reshape(len(detector.index), -1)
            keep = min(saved.shape[1], detector.keep)
            if keep:
                getattr(detector, name)[:, -keep:] = saved[:, -keep:]
        detector.neg_sum = np.asarray(state["neg_sum"], dtype=float)
        detector.neg_total = np.asarray(state["neg_total"], dtype=float)
        for item in state.get("history") or []:
            detector.history.append(WindowBucket.from_state(item))
        for item in state.get("pending") or []:
            detector.pending.append(PendingWindow.from_state(item))
        detector.buckets = {b.index: b for b in (WindowBucket.from_state(s) for s in state.get("buckets") or [])}
        for index, bucket in detector.buckets.items():
            detector._row_counts[index] = Counter(
                {detector.index.rows[k]: c for k, c in bucket.counts.items() if k in detector.index.rows})
        detector.terms = {t: TermBackground.from_state(s, cfg.term_memory, detector.tau_windows)
                          for t, s in (state.get("terms") or {}).items()}
        detector.episodes.load_state(state.get("episodes") or {})
        detector.next_index = state.get("next_index")
        detector.first_index = state.get("first_index")
        detector.max_seen = state.get("max_seen")
        detector._born = {int(r): int(w) for r, w in (state.get("born") or {}).items()}
        detector.stats = Counter(state.get("stats") or {})
        return detector


def _or_empty(values: np.ndarray | None) -> np.ndarray:
    """An optional per-row array (absent in windows saved by older snapshots) as an array."""
    return values if values is not None else np.zeros(0)

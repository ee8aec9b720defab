"""The statistical tests: improbable counts per scope and span, and an improbable share of negative signals."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np

from pipeline.alerts.config import DetectorConfig
from pipeline.alerts.episodes import Finding
from pipeline.alerts.scopes import Scope
from pipeline.alerts.stats import binomial_sf, count_sf, count_sf_array


def tail_probability(config: DetectorConfig, observed: int, expected: float, extra_a: float, inv_b: float) -> float:
    """P(X >= observed); the negative binomial matches the variance mu (1 + a) + b mu^2 of the scope."""
    if config.model == "poisson":
        return count_sf(observed, expected, "poisson", None)
    excess = extra_a + inv_b * expected
    size = expected / excess if excess > 1e-9 else None
    return count_sf(observed, expected, "negbin", size)


def tail_probabilities(config: DetectorConfig, observed: np.ndarray, expected: np.ndarray, extra_a: np.ndarray,
                       inv_b: np.ndarray) -> np.ndarray:
    """tail_probability() element-wise over arrays of scopes, in one pass."""
    if config.model == "poisson":
        return count_sf_array(observed, expected, None)
    expected = np.asarray(expected, dtype=float)
    excess = np.asarray(extra_a, dtype=float) + np.asarray(inv_b, dtype=float) * expected
    size = np.divide(expected, excess, out=np.full_like(expected, np.inf), where=excess > 1e-9)
    return count_sf_array(observed, expected, size)


# Below three standard deviations above the mean no Poisson or negative binomial tail is under 2e-3
# (checked over mu 0.01..300 and sizes 0.05..100), so smaller p-value thresholds never need a tail there.
Z_FLOOR = 3.0
Z_FLOOR_MAX_THRESHOLD = 1e-3


def variance(config: DetectorConfig, expected: np.ndarray | float, extra_a: np.ndarray | float,
             inv_b: np.ndarray | float) -> np.ndarray | float:
    """The modelled variance of a count with this expectation."""
    if config.model == "poisson":
        return expected
    return expected * (1 + extra_a) + inv_b * expected * expected


def could_alert(config: DetectorConfig, total: np.ndarray, expected: np.ndarray, extra_a: np.ndarray,
                inv_b: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Cheap vectorised pre-filter: enough signals, far enough above normal, and (for small thresholds) at
    least Z_FLOOR standard deviations above the mean."""
    ok = (total >= config.min_count) & (total >= config.min_ratio * expected)
    z_floor = expected + Z_FLOOR * np.sqrt(variance(config, expected, extra_a, inv_b))
    return ok & ((total >= z_floor) | (thresholds >= Z_FLOOR_MAX_THRESHOLD))


def span_threshold(config: DetectorConfig) -> float:
    """The p-value threshold of one test: `p_threshold`, or with `span_correction` that divided by the number
    of spans, so the tests of all window lengths together stay within one test's budget (a Bonferroni bound)."""
    if config.span_correction:
        return config.p_threshold / len(config.spans)
    return config.p_threshold


def level_thresholds(config: DetectorConfig, scopes: list[Scope], active: np.ndarray | None = None) -> np.ndarray:
    """p-value threshold per scope: the configured one for topics; for channel and place scopes it is scaled
    by (number of topics / number of scopes of that kind), so many small scopes do not add false alarms.
    Only `active` scopes (those seen by now, in event time) are counted."""
    thresholds = np.full(len(scopes), span_threshold(config))
    if not config.level_correction:
        return thresholds
    kinds = np.asarray([s.kind for s in scopes])
    live = np.ones(len(scopes), dtype=bool) if active is None else active
    topics = max(1, int(((kinds == "topic") & live).sum()))
    for kind in ("channel", "place"):
        mask = kinds == kind
        count = int((mask & live).sum())
        if count > topics:
            thresholds[mask] = span_threshold(config) * topics / count
    return thresholds


def first_raised_window(xs: np.ndarray, mus: np.ndarray) -> int:
    """Index of the first window in a span whose count was above expected (the last one if none was)."""
    return next((j for j in range(len(xs)) if xs[j] > mus[j]), len(xs) - 1)


def volume_finding(scope: Scope, span: int, xs: np.ndarray, mus: np.ndarray, p_value: float,
                   last_start: datetime, window: timedelta, spread: float = 0.0) -> Finding:
    """A volume finding over the windows `xs`/`mus` (oldest first), trimmed to start where the rise began."""
    first = first_raised_window(xs, mus)
    return Finding(scope_key=scope.key, scope=scope.as_alert_scope(), span=span,
                   observed=int(xs[first:].sum()), expected=float(mus[first:].sum()), p_value=p_value,
                   trigger="volume", start=last_start - (len(xs) - 1 - first) * window, level=scope.level,
                   spread=spread * float(np.sqrt(mus[first:].sum() / max(float(mus.sum()), 1e-12))))


def minimal_alerting_count(config: DetectorConfig, expected: float, extra_a: float, inv_b: float,
                           threshold: float, low: int = 0, high: int = 10_000_000) -> int | None:
    """The smallest total in [low, high] that would alert for this expected count, or None.

    The tail probability falls as the total rises, so a doubling search followed by bisection finds it
    with a few dozen tail evaluations at most."""
    def alerts(total: int) -> bool:
        """True when `total` would alert."""
        return tail_probability(config, total, expected, extra_a, inv_b) < threshold

    start = max(low, config.min_count, int(math.ceil(config.min_ratio * expected - 1e-9)))
    if threshold < Z_FLOOR_MAX_THRESHOLD:
        spread = math.sqrt(variance(config, expected, extra_a, inv_b))
        start = max(start, int(math.ceil(expected + Z_FLOOR * spread - 1e-9)))
    if start > high:
        return None
    if alerts(start):
        return start
    step = max(1, int(math.sqrt(max(expected, 1.0))))
    lower, upper = start, start + step
    while not alerts(upper):
        if upper >= high:
            return None
        lower, upper = upper, min(high, upper + step)
        step *= 2
    while upper - lower > 1:
        middle = (lower + upper) // 2
        if alerts(middle):
            upper = middle
        else:
            lower = middle
    return upper


def negative_share_finding(config: DetectorConfig, scope: Scope, totals: np.ndarray, negatives: np.ndarray,
                           mus: np.ndarray, usual_share: float, last_start: datetime,
                           window: timedelta) -> Finding | None:
    """A finding when the share of negative signals in the span rose improbably above the usual share."""
    negative = int(negatives.sum())
    total = int(totals.sum())
    if negative < config.negative_min_count or total == 0:
        return None
    share = negative / total
    if share - usual_share < config.negative_min_rise:
        return None
    p_value = binomial_sf(negative, total, usual_share)
    if p_value >= config.negative_p_threshold:
        return None
    first = next((j for j in range(len(totals)) if negatives[j] and negatives[j] > usual_share * totals[j]),
                 len(totals) - 1)
    return Finding(scope_key=scope.key, scope=scope.as_alert_scope(), span=len(totals),
                   observed=int(totals[first:].sum()), expected=float(mus[first:].sum()), p_value=p_value,
                   trigger="negative_share", start=last_start - (len(totals) - 1 - first) * window, level=1,
                   negative_share=share)

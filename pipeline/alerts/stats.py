"""Upper-tail probabilities for counts: Poisson, negative binomial and binomial, in plain Python."""
from __future__ import annotations

import math
from typing import Callable

_TAIL_EPS = 1e-17
_MAX_TERMS = 100_000
_CF_EPS = 1e-13
_CF_TINY = 1e-300
_CF_MAX_STEPS = 500
_SERIES_TERMS = 200     # a negative binomial tail expected to need more terms is computed as a continued fraction


def _beta_continued_fraction(a: float, b: float, x: float) -> float | None:
    """The continued fraction of the regularised incomplete beta I_x(a, b) (without its prefactor), evaluated
    with the modified Lentz method; None when it does not converge."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _CF_TINY else _CF_TINY)
    value = d
    for m in range(1, _CF_MAX_STEPS):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _CF_TINY else _CF_TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _CF_TINY else _CF_TINY
            value *= c * d
        if abs(c * d - 1.0) < _CF_EPS:
            return value
    return None


def incomplete_beta_small(a: float, b: float, x: float) -> float | None:
    """I_x(a, b) where x < (a + 1) / (a + b + 2) (the fraction converges fast there); None elsewhere."""
    if x <= 0.0:
        return 0.0
    if x >= (a + 1.0) / (a + b + 2.0):
        return None
    fraction = _beta_continued_fraction(a, b, x)
    if fraction is None:
        return None
    log_front = (a * math.log(x) + b * math.log1p(-x) + math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 - math.log(a))
    return min(1.0, math.exp(log_front) * fraction)


def _sum_tail(log_first: float, ratio_of: Callable[[int], float], start: int) -> float:
    """Sum pmf(start), pmf(start+1), ... given log pmf(start) and pmf(j+1)/pmf(j) = ratio_of(j)."""
    term = math.exp(log_first)
    total = term
    j = start
    for _ in range(_MAX_TERMS):
        term *= ratio_of(j)
        j += 1
        total += term
        if term <= total * _TAIL_EPS:
            break
    return min(1.0, total)


def _sum_head(log_last: float, ratio_of: Callable[[int], float], stop: int) -> float:
    """Sum pmf(stop - 1), pmf(stop - 2), ... pmf(0) downward, given log pmf(stop - 1) and the forward ratio."""
    term = math.exp(log_last)
    total = term
    for j in range(stop - 2, -1, -1):
        term /= ratio_of(j)
        total += term
        if term <= total * _TAIL_EPS:
            break
    return total


def poisson_sf(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu)."""
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0

    def ratio(j: int) -> float:
        """pmf(j + 1) / pmf(j)."""
        return mu / (j + 1)

    def log_pmf(j: int) -> float:
        """log pmf(j)."""
        return j * math.log(mu) - mu - math.lgamma(j + 1)

    if k > mu:
        return _sum_tail(log_pmf(k), ratio, k)
    return max(0.0, 1.0 - _sum_head(log_pmf(k - 1), ratio, k))


def negbin_sf(k: int, mu: float, size: float) -> float:
    """P(X >= k) for a negative binomial with mean `mu` and size `size` (variance mu + mu^2 / size)."""
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    if size <= 0 or not math.isfinite(size) or size > 1e8:
        return poisson_sf(k, mu)
    q = mu / (size + mu)  # success-complement probability of the NB(size, q) form

    def ratio(j: int) -> float:
        """pmf(j + 1) / pmf(j)."""
        return (j + size) / (j + 1) * q

    def log_pmf(j: int) -> float:
        """log pmf(j)."""
        return (math.lgamma(j + size) - math.lgamma(size) - math.lgamma(j + 1)
                + size * math.log(size / (size + mu)) + j * math.log(q))

    if k > mu:
        if q > 1.0 - 30.0 / _SERIES_TERMS:
            # P(X >= k) = I_q(k, size); slowly decaying terms: the continued fraction is much cheaper
            tail = incomplete_beta_small(float(k), size, q)
            if tail is not None:
                return tail
        return _sum_tail(log_pmf(k), ratio, k)
    return max(0.0, 1.0 - _sum_head(log_pmf(k - 1), ratio, k))


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    odds = p / (1 - p)

    def ratio(j: int) -> float:
        """pmf(j + 1) / pmf(j)."""
        return (n - j) / (j + 1) * odds

    def log_pmf(j: int) -> float:
        """log pmf(j)."""
        return (math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1)
                + j * math.log(p) + (n - j) * math.log1p(-p))

    if k > n * p:
        return _sum_tail(log_pmf(k), ratio, k) if k < n else min(1.0, math.exp(log_pmf(n)))
    return max(0.0, 1.0 - _sum_head(log_pmf(k - 1), ratio, k))


def count_sf(k: int, mu: float, model: str, size: float | None) -> float:
    """P(X >= k) under the configured model: 'poisson' or 'negbin' (falls back to Poisson without a size)."""
    if model == "negbin" and size is not None:
        return negbin_sf(k, mu, size)
    return poisson_sf(k, mu)

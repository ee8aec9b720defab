"""Upper-tail probabilities for counts: Poisson, negative binomial and binomial, in plain Python."""
from __future__ import annotations

import math
from typing import Callable

_TAIL_EPS = 1e-17
_MAX_TERMS = 100_000


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

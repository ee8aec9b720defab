"""Upper-tail probabilities for counts (Poisson, negative binomial, binomial) through the regularised incomplete
gamma and beta functions, one value or a whole array of scopes at once."""
from __future__ import annotations

import numpy as np
from scipy.special import betainc, gammainc

MAX_NEGBIN_SIZE = 1e8   # a larger size (or none) is Poisson to within rounding


def poisson_sf(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu)."""
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    return float(gammainc(k, mu))


def negbin_sf(k: int, mu: float, size: float) -> float:
    """P(X >= k) for a negative binomial with mean `mu` and size `size` (variance mu + mu^2 / size)."""
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    if not size > 0 or not size <= MAX_NEGBIN_SIZE:
        return poisson_sf(k, mu)
    return float(betainc(k, size, mu / (size + mu)))


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    return float(betainc(k, n - k + 1, p))


def count_sf(k: int, mu: float, model: str, size: float | None) -> float:
    """P(X >= k) under the configured model: 'poisson' or 'negbin' (falls back to Poisson without a size)."""
    if model == "negbin" and size is not None:
        return negbin_sf(k, mu, size)
    return poisson_sf(k, mu)


def count_sf_array(k: np.ndarray, mu: np.ndarray, size: np.ndarray | None) -> np.ndarray:
    """P(X >= k) element-wise: negative binomial where `size` is positive and finite (at most MAX_NEGBIN_SIZE),
    Poisson elsewhere or when `size` is None; 1 where k <= 0, else 0 where mu <= 0."""
    k = np.asarray(k, dtype=float)
    mu = np.asarray(mu, dtype=float)
    out = np.ones(np.broadcast(k, mu).shape)
    live = (k > 0) & (mu > 0)
    out[(k > 0) & ~(mu > 0)] = 0.0
    if not live.any():
        return out
    k_live, mu_live = np.broadcast_to(k, out.shape)[live], np.broadcast_to(mu, out.shape)[live]
    tails = gammainc(k_live, mu_live)
    if size is not None:
        size_live = np.broadcast_to(np.asarray(size, dtype=float), out.shape)[live]
        negbin = (size_live > 0) & (size_live <= MAX_NEGBIN_SIZE)
        if negbin.any():
            s = size_live[negbin]
            tails[negbin] = betainc(k_live[negbin], s, mu_live[negbin] / (s + mu_live[negbin]))
    out[live] = tails
    return out

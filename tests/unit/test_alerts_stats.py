"""Tail probabilities of the alert detector against scipy, and the Dutch holiday calendar."""
from __future__ import annotations

import math
from datetime import date, datetime, timezone

import numpy as np
import pytest

from pipeline.alerts.calendar_nl import SlotClock, dutch_public_holidays, easter_sunday
from pipeline.alerts.config import DetectorConfig
from pipeline.alerts.findings import minimal_alerting_count, tail_probabilities, tail_probability
from pipeline.alerts.stats import binomial_sf, count_sf_array, negbin_sf, poisson_sf

stats = pytest.importorskip("scipy.stats")

GRID = [(k, mu) for mu in (0.05, 0.7, 3.0, 12.0, 80.0, 400.0) for k in (0, 1, 2, 5, 13, 40, 120, 600)]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-13)


@pytest.mark.parametrize("k,mu", GRID)
def test_poisson_tail_matches_scipy(k: int, mu: float) -> None:
    assert _close(poisson_sf(k, mu), stats.poisson.sf(k - 1, mu))


@pytest.mark.parametrize("k,mu", GRID)
@pytest.mark.parametrize("size", [0.5, 3.0, 40.0])
def test_negative_binomial_tail_matches_scipy(k: int, mu: float, size: float) -> None:
    assert _close(negbin_sf(k, mu, size), stats.nbinom.sf(k - 1, size, size / (size + mu)))


@pytest.mark.parametrize("n,p", [(10, 0.3), (200, 0.05), (57, 0.9), (1, 0.5)])
def test_binomial_tail_matches_scipy(n: int, p: float) -> None:
    for k in range(0, n + 2):
        assert _close(binomial_sf(k, n, p), stats.binom.sf(k - 1, n, p))


def test_minimal_alerting_count_is_the_first_count_that_alerts() -> None:
    config = DetectorConfig(min_count=3, min_ratio=1.0)
    for expected, a, b in ((0.4, 0.0, 0.0), (6.0, 0.5, 0.02), (40.0, 1.0, 0.05)):
        needed = minimal_alerting_count(config, expected, a, b, 1e-5)
        assert needed is not None
        assert tail_probability(config, needed, expected, a, b) < 1e-5
        assert needed == config.min_count or tail_probability(config, needed - 1, expected, a, b) >= 1e-5


def test_easter_and_holidays() -> None:
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert easter_sunday(2026) == date(2026, 4, 5)
    days = dutch_public_holidays(2025)
    assert date(2025, 4, 21) in days          # Easter Monday
    assert date(2025, 4, 26) in days          # King's Day moves to Saturday when the 27th is a Sunday
    assert date(2025, 5, 29) in days          # Ascension Day
    assert date(2025, 5, 5) in days and date(2026, 5, 5) not in dutch_public_holidays(2026)  # lustrum years only


def test_slot_uses_local_time_and_treats_holidays_as_sunday() -> None:
    clock = SlotClock("Europe/Amsterdam", "nl")
    assert clock.slot(datetime(2025, 4, 22, 8, 0, tzinfo=timezone.utc)) == (1, 10)   # Tuesday 10:00 CEST
    assert clock.slot(datetime(2025, 4, 21, 8, 0, tzinfo=timezone.utc)) == (6, 10)   # Easter Monday
    assert SlotClock("Europe/Amsterdam", []).slot(datetime(2025, 4, 21, 8, 0, tzinfo=timezone.utc)) == (0, 10)


def test_array_tails_match_the_scalar_tails() -> None:
    config = DetectorConfig()
    k = np.array([0, 1, 3, 7, 12, 40, 150, 5])
    mu = np.array([2.0, 0.0, 0.4, 3.0, 6.5, 10.0, 80.0, 5.0])
    a = np.array([0.0, 0.3, 0.0, 0.8, 1.5, 0.2, 4.5, 0.0])
    b = np.array([0.0, 0.0, 0.01, 0.0, 0.05, 0.3, 0.02, 0.0])
    both = tail_probabilities(config, k, mu, a, b)
    for i in range(len(k)):
        assert _close(both[i], tail_probability(config, int(k[i]), float(mu[i]), float(a[i]), float(b[i])))
    assert both[0] == 1.0 and both[1] == 0.0                     # k <= 0; mu <= 0 with k >= 1
    assert _close(both[-1], poisson_sf(5, 5.0))                # no excess variance: Poisson
    poisson = tail_probabilities(DetectorConfig(model="poisson"), k, mu, a, b)
    assert _close(poisson[5], poisson_sf(40, 10.0)) and not _close(poisson[5], both[5])
    assert len(count_sf_array(np.array([], dtype=float), np.array([], dtype=float), None)) == 0

"""The young-generation threshold is raised, never lowered, and a disabled collector stays disabled."""
from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from pipeline.core.heap import YOUNG_THRESHOLD, collect_young_less_often


@pytest.fixture(autouse=True)
def _restore_threshold() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_the_default_threshold_is_raised_and_the_older_ones_kept() -> None:
    gc.set_threshold(700, 10, 10)
    collect_young_less_often()
    assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)


def test_a_higher_threshold_is_never_lowered() -> None:
    gc.set_threshold(50_000, 5, 7)
    collect_young_less_often(10_000)
    assert gc.get_threshold() == (50_000, 5, 7)


def test_a_disabled_collector_stays_disabled() -> None:
    gc.set_threshold(0, 10, 10)
    collect_young_less_often()
    assert gc.get_threshold()[0] == 0

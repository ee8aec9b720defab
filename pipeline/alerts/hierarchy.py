"""Which scope explains a burst: one incident per topic, named after the most specific scope the burst is in.

A topic's burst shows in the topic and, when it is local or on one platform, in a place or a channel too. A
sub-scope explains the burst when it holds most of the topic's excess (observed minus expected) and clearly
more of it than its usual share of the topic: a channel that always carries nearly all of a topic's signals
does not explain a citywide burst, a neighbourhood that suddenly holds three quarters of it does."""
from __future__ import annotations

from dataclasses import dataclass

from pipeline.alerts.stats import binomial_sf

EXPLAIN_SHARE = 0.6      # a sub-scope must hold at least this share of the topic's excess ...
EXPLAIN_MARGIN = 0.25    # ... and this much more than its usual share of the topic's signals ...
EXPLAIN_P = 1e-3         # ... and its share of the topic's signals improbably high for its usual share
KIND_PREFERENCE = {"place": 0, "channel": 1}   # both explain it: the place is named, it is where someone can act


@dataclass(slots=True, frozen=True)
class Part:
    """One sub-scope of a topic over the windows of a burst."""

    row: int
    kind: str
    observed: float
    expected: float


def concentration(part: Part, observed: float, expected: float) -> float:
    """How much more of the topic's excess the sub-scope holds than its usual share (negative: less)."""
    excess = observed - expected
    if excess <= 0 or expected <= 0:
        return float("-inf")
    return (part.observed - part.expected) / excess - part.expected / expected


def explaining_part(observed: float, expected: float, parts: list[Part], min_count: float,
                    min_ratio: float) -> Part | None:
    """The sub-scope that explains the topic's burst (`observed` against `expected`), or None when the burst is
    spread over the topic: enough signals, `min_ratio` above its own expectation, at least EXPLAIN_SHARE of
    the excess, EXPLAIN_MARGIN above its usual share, and a share of the topic's signals that chance (a binomial
    draw at the usual share) gives less often than EXPLAIN_P, so the first noisy minutes of a citywide burst do
    not name a channel or place."""
    excess = observed - expected
    if excess <= 0:
        return None
    best: tuple[float, int, int] | None = None
    chosen = None
    for part in parts:
        if part.observed < min_count or part.observed < min_ratio * part.expected:
            continue
        if part.observed - part.expected < EXPLAIN_SHARE * excess:
            continue
        lead = concentration(part, observed, expected)
        if lead < EXPLAIN_MARGIN:
            continue
        usual = min(max(part.expected / expected, 1e-6), 1.0)
        if binomial_sf(int(part.observed), int(max(observed, part.observed)), usual) >= EXPLAIN_P:
            continue
        key = (KIND_PREFERENCE.get(part.kind, 9), -round(lead, 9), part.row)
        if best is None or key < best:
            best, chosen = key, part
    return chosen

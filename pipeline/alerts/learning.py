"""Delayed learning: a closed window is folded into the baselines only some windows later, so a spike does not
raise its own expected count while it is still going on (and windows of one hour do not inform each other)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(slots=True)
class PendingWindow:
    """A closed window waiting to be learned, with what was expected of it when it closed."""

    window: int
    x: np.ndarray
    mu: np.ndarray
    neg: np.ndarray
    clip_rows: list[int] = field(default_factory=list)       # counts learned only up to close_ratio x mu
    negative_topics: list[str] = field(default_factory=list)  # topics whose negative share alerted
    terms: dict[str, Counter[str]] = field(default_factory=dict)
    topic_docs: dict[str, int] = field(default_factory=dict)
    span_x: list[np.ndarray] = field(default_factory=list)     # per tested span: totals ending at this window
    span_mu: list[np.ndarray] = field(default_factory=list)    # ... and what was expected of them
    confidence: np.ndarray | None = None                       # per row 0..1: may noise be learned from it
    level: np.ndarray | None = None                            # per row: the level factor inside `mu`
    spread: np.ndarray | None = None                           # per row: modelled sd of the window's count
    base_var: np.ndarray | None = None                         # ... its variance before the slot's noise scale
    p_bins: list[np.ndarray] = field(default_factory=list)     # per span: how many tail levels the p-value passed
    error_noise: np.ndarray | None = None                      # per row: variance of the expectation's error / count's
    error_prior: np.ndarray | None = None                      # ... and its prior part / expected^2

    @staticmethod
    def pad(values: np.ndarray, rows: int, fill: float) -> np.ndarray:
        """`values` extended to `rows` entries (scopes added after the window closed) with `fill`."""
        extra = rows - len(values)
        return values if extra <= 0 else np.concatenate([values, np.full(extra, fill)])

    def to_state(self) -> dict[str, Any]:
        """JSON-ready state."""
        return {"window": self.window, "x": self.x.tolist(), "mu": self.mu.tolist(), "neg": self.neg.tolist(),
                "clip_rows": list(self.clip_rows), "negative_topics": list(self.negative_topics),
                "terms": {k: dict(v) for k, v in self.terms.items()}, "topic_docs": dict(self.topic_docs),
                "span_x": [v.tolist() for v in self.span_x], "span_mu": [v.tolist() for v in self.span_mu],
                "confidence": None if self.confidence is None else self.confidence.tolist(),
                "level": _list(self.level), "spread": _list(self.spread), "base_var": _list(self.base_var),
                "p_bins": [v.tolist() for v in self.p_bins],
                "error_noise": _list(self.error_noise), "error_prior": _list(self.error_prior)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "PendingWindow":
        """Rebuild from to_state output."""
        return cls(window=int(state["window"]), x=np.asarray(state["x"], dtype=float),
                   mu=np.asarray(state["mu"], dtype=float), neg=np.asarray(state["neg"], dtype=float),
                   clip_rows=[int(r) for r in state.get("clip_rows") or []],
                   negative_topics=list(state.get("negative_topics") or []),
                   terms={k: Counter(v) for k, v in (state.get("terms") or {}).items()},
                   topic_docs={k: int(v) for k, v in (state.get("topic_docs") or {}).items()},
                   span_x=[np.asarray(v, dtype=float) for v in state.get("span_x") or []],
                   span_mu=[np.asarray(v, dtype=float) for v in state.get("span_mu") or []],
                   confidence=_array(state.get("confidence")), level=_array(state.get("level")),
                   spread=_array(state.get("spread")), base_var=_array(state.get("base_var")),
                   p_bins=[np.asarray(v, dtype=float) for v in state.get("p_bins") or []],
                   error_noise=_array(state.get("error_noise")), error_prior=_array(state.get("error_prior")))


def _list(values: np.ndarray | None) -> list[float] | None:
    """An optional array as a JSON list."""
    return None if values is None else values.tolist()


def _array(values: list[float] | None) -> np.ndarray | None:
    """An optional JSON list as an array."""
    return None if values is None else np.asarray(values, dtype=float)

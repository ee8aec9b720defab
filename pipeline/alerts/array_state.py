"""Snapshots of per-scope sums kept as numpy arrays: one JSON form and one checked restore for every tracker."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np


def arrays_state(owner: Any, names: Iterable[str]) -> dict[str, Any]:
    """The named arrays of `owner` as JSON-ready lists."""
    return {name: getattr(owner, name).tolist() for name in names}


def load_arrays(owner: Any, names: Iterable[str], state: dict[str, Any], label: str) -> None:
    """Set each named array of `owner` from `state`; a saved array must have the shape the owner has now
    (its rows grown to the current scopes), else ValueError names the tracker and the array."""
    for name in names:
        arr = np.asarray(state[name], dtype=float)
        target = getattr(owner, name)
        if arr.shape != target.shape:
            raise ValueError(f"{label} {name}: shape {arr.shape} does not match {target.shape}")
        setattr(owner, name, arr)

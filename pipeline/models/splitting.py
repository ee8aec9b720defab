"""Held-out validation splits: newest share by time, or a stratified random share with a fixed seed."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sklearn.model_selection import train_test_split

log = logging.getLogger(__name__)

SEED = 20240611


@dataclass(slots=True)
class Split:
    """Row indices of the training and validation parts and how they were chosen."""

    train: list[int]
    validation: list[int]
    method: str
    description: str


def time_ordered_split(times: list[datetime], share: float = 0.2) -> Split:
    """Oldest (1 - share) to train, newest `share` to validate; ties keep file order."""
    order = sorted(range(len(times)), key=lambda i: (times[i], i))
    cut = len(order) - max(1, round(len(order) * share))
    train, validation = order[:cut], order[cut:]
    desc = (f"time-ordered: train {len(train)} rows {times[train[0]]:%Y-%m-%d}..{times[train[-1]]:%Y-%m-%d}, "
            f"validate newest {len(validation)} rows {times[validation[0]]:%Y-%m-%d}.."
            f"{times[validation[-1]]:%Y-%m-%d}")
    return Split(train, validation, "time", desc)


def date_split(times: list[datetime], start: datetime) -> Split:
    """Rows before `start` to train, rows from `start` on to validate; both parts must be non-empty."""
    train = [i for i, moment in enumerate(times) if moment < start]
    validation = [i for i, moment in enumerate(times) if moment >= start]
    if not train or not validation:
        raise ValueError(f"validating from {start:%Y-%m-%d} leaves {len(train)} training and {len(validation)} "
                         f"validation rows; pick a date inside {min(times):%Y-%m-%d}..{max(times):%Y-%m-%d}")
    desc = (f"by date: train {len(train)} rows before {start:%Y-%m-%d}, validate {len(validation)} rows "
            f"from {start:%Y-%m-%d}")
    return Split(train, validation, "date", desc)


def stratified_split(labels: list[str], share: float = 0.2, seed: int = SEED) -> Split:
    """A random `share` for validation, stratified by label when every label has at least two rows."""
    indices = list(range(len(labels)))
    counts = Counter(labels)
    stratify = labels if min(counts.values()) >= 2 and len(counts) > 1 else None
    if stratify is None:
        log.warning("split: some label has a single row; using a plain random split")
    n_val = max(1, round(len(labels) * share))
    if stratify is not None and n_val < len(counts):
        n_val = len(counts)
    train, validation = train_test_split(indices, test_size=n_val, random_state=seed, stratify=stratify)
    desc = f"stratified random (seed {seed}): train {len(train)} rows, validate {len(validation)} rows"
    return Split(sorted(train), sorted(validation), "stratified", desc)


def holdout_split(labels: list[str], times: list[datetime] | None, share: float = 0.2, seed: int = SEED) -> Split:
    """Time-ordered when times are given, else stratified random."""
    if len(labels) < 5:
        raise ValueError(f"need at least 5 labelled rows to hold out a validation part, got {len(labels)}")
    if times is not None:
        return time_ordered_split(times, share)
    return stratified_split(labels, share, seed)

"""Checks of a labelled topic file before training: skipped rows, unknown and rare labels, a label column of text."""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

from pipeline.models.labelled_data import LabelledData, LabelledDataError, rows_text

log = logging.getLogger(__name__)

MIN_ROWS_PER_LABEL = 5
MIN_DISTINCT_FOR_TEXT = 30      # a label column with more distinct values than this ...
MAX_DISTINCT_SHARE = 0.5        # ... and more than this share of the rows holds text, not categories


@dataclass(slots=True)
class CheckedData:
    """The rows left for training and one warning per kind of problem (naming the file rows)."""

    data: LabelledData
    warnings: list[str] = field(default_factory=list)


def check_topic_data(data: LabelledData, text_column: str = "text", label_column: str = "label",
                     min_rows_per_label: int = MIN_ROWS_PER_LABEL,
                     known_labels: Collection[str] | None = None) -> CheckedData:
    """Leave out rows that cannot be learnt from, with a warning naming them; raise when nothing trainable is left.

    Raises LabelledDataError when the label column looks like free text (a wrong column), or when fewer than two
    labels keep `min_rows_per_label` rows. Rows whose label is not in `known_labels` (when given) or whose label
    has too few rows are left out with a warning; so are rows that were skipped while reading.
    """
    name = data.source.rsplit("/", 1)[-1] or "data"
    _refuse_text_labels(data, name, text_column, label_column)
    warnings = [f"{reason} in {rows_text(rows)}: left out"
                for reason, rows in sorted(data.skipped_rows.items())]
    keep = list(range(len(data)))
    if known_labels is not None:
        allowed = set(known_labels)
        unknown = [i for i in keep if data.labels[i] not in allowed]
        if unknown:
            values = sorted({data.labels[i] for i in unknown})
            warnings.append(f"unknown label(s) {', '.join(repr(v) for v in values[:10])} in "
                            f"{rows_text(_rows(data, unknown))}: left out; known: {', '.join(sorted(allowed))}")
            keep = [i for i in keep if data.labels[i] in allowed]
    counts = Counter(data.labels[i] for i in keep)
    rare = sorted(label for label, n in counts.items() if n < min_rows_per_label)
    for label in rare:
        where = [i for i in keep if data.labels[i] == label]
        warnings.append(f"label {label!r} has {len(where)} row(s) ({rows_text(_rows(data, where))}); each label "
                        f"needs at least {min_rows_per_label}: left out")
    keep = [i for i in keep if counts[data.labels[i]] >= min_rows_per_label]
    left = sorted({data.labels[i] for i in keep})
    if len(left) < 2:
        problems = "\n  - ".join(warnings) if warnings else "only one label in the file"
        raise LabelledDataError(f"{name}: cannot train a topic model: need at least two labels with "
                                f"{min_rows_per_label} or more rows each, found {left}:\n  - {problems}")
    for warning in warnings:
        log.warning("%s: %s", name, warning)
    checked = data.subset(keep) if len(keep) < len(data) else data
    checked.skipped, checked.skip_reasons, checked.skipped_rows = data.skipped, data.skip_reasons, data.skipped_rows
    return CheckedData(checked, warnings)


def _rows(data: LabelledData, indices: list[int]) -> list[int]:
    """File row numbers of `indices` (positions + 2 when the reader kept no row numbers)."""
    if len(data.rows) == len(data):
        return [data.rows[i] for i in indices]
    return [i + 2 for i in indices]


def _refuse_text_labels(data: LabelledData, name: str, text_column: str, label_column: str) -> None:
    """Raise when the label column holds free text rather than categories (the columns are probably mixed up)."""
    distinct = len(set(data.labels))
    if distinct > MIN_DISTINCT_FOR_TEXT and distinct > MAX_DISTINCT_SHARE * len(data):
        examples = [r for r, _ in zip(_rows(data, list(range(len(data)))), range(3))]
        raise LabelledDataError(
            f"{name}: column {label_column!r} has {distinct} different values in {len(data)} rows "
            f"({rows_text(examples)} ...); it looks like text, not categories. Is {label_column!r} the right "
            f"label column (and {text_column!r} the text column)?")

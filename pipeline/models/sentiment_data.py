"""Read a labelled sentiment file for training, strictly: every bad row is an error that names the row."""
from __future__ import annotations

import csv
import sys
from datetime import datetime
from pathlib import Path

from pipeline.models.labelled_data import LabelledData, LabelledDataError, file_sha256, parse_time, sniff_delimiter
from pipeline.models.sentiment_model import SENTIMENT_LABELS, normalise_sentiment_label

MIN_ROWS_PER_LABEL = 10
SHOWN_ROWS = 10


def _rows_text(rows: list[int]) -> str:
    """'rows 2, 5, 9' with at most SHOWN_ROWS numbers and a count of the rest."""
    shown = ", ".join(str(r) for r in rows[:SHOWN_ROWS])
    more = f" and {len(rows) - SHOWN_ROWS} more" if len(rows) > SHOWN_ROWS else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def read_sentiment_training_file(path: str | Path, text_column: str = "text", label_column: str = "label",
                                 time_column: str | None = None,
                                 min_rows_per_label: int = MIN_ROWS_PER_LABEL) -> LabelledData:
    """Texts labelled negative/neutral/positive (aliases such as neg, negatief, -1 are understood).

    Raises LabelledDataError listing every problem, with file row numbers (the header is row 1): a missing
    column, empty texts, unknown labels, unreadable times, or fewer than `min_rows_per_label` rows of a label.
    """
    path = Path(path)
    if not path.is_file():
        raise LabelledDataError(f"data file not found: {path}")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    data = LabelledData([], [], [] if time_column else None, source=str(path))
    empty: list[int] = []
    unknown: list[tuple[int, str]] = []
    bad_time: list[int] = []
    row_of_label: dict[str, list[int]] = {label: [] for label in SENTIMENT_LABELS}
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(4096)
            handle.seek(0)
            reader = csv.DictReader(handle, delimiter=sniff_delimiter(path, sample))
            columns = reader.fieldnames or []
            missing = [c for c in (text_column, label_column, time_column) if c and c not in columns]
            if missing:
                raise LabelledDataError(f"{path.name}: column(s) {', '.join(missing)} not found; "
                                        f"the file has: {', '.join(columns) or '(no header)'}")
            for row in reader:
                number = reader.line_num
                text = (row.get(text_column) or "").strip()
                label = normalise_sentiment_label(row.get(label_column) or "")
                moment: datetime | None = None
                if time_column:
                    moment = parse_time(row.get(time_column) or "")
                problem = False
                if not text:
                    empty.append(number)
                    problem = True
                if label is None:
                    unknown.append((number, (row.get(label_column) or "").strip()))
                    problem = True
                if time_column and moment is None:
                    bad_time.append(number)
                    problem = True
                if problem or label is None:
                    continue
                row_of_label[label].append(number)
                data.texts.append(text)
                data.labels.append(label)
                if data.times is not None:
                    data.times.append(moment)  # type: ignore[arg-type]
    except UnicodeDecodeError as err:
        raise LabelledDataError(f"{path.name} is not UTF-8 text (byte {err.start})") from None
    except csv.Error as err:
        raise LabelledDataError(f"{path.name} is not a readable CSV: {err}") from None
    problems = _problems(empty, unknown, bad_time, row_of_label, text_column, time_column, min_rows_per_label)
    if problems:
        raise LabelledDataError(f"{path.name}: cannot train a sentiment model:\n  - " + "\n  - ".join(problems))
    data.sha256 = file_sha256(path)
    return data


def _problems(empty: list[int], unknown: list[tuple[int, str]], bad_time: list[int],
              row_of_label: dict[str, list[int]], text_column: str, time_column: str | None,
              min_rows: int) -> list[str]:
    """One line per kind of problem, naming the rows."""
    problems = []
    if empty:
        problems.append(f"empty {text_column!r} in {_rows_text(empty)}")
    if unknown:
        shown = ", ".join(f"row {n} {value!r}" for n, value in unknown[:SHOWN_ROWS])
        more = f" and {len(unknown) - SHOWN_ROWS} more" if len(unknown) > SHOWN_ROWS else ""
        problems.append(f"unknown label in {shown}{more}; use {'/'.join(SENTIMENT_LABELS)} "
                        "(neg/neu/pos, negatief/neutraal/positief and -1/0/1 are understood)")
    if bad_time:
        problems.append(f"unreadable {time_column!r} in {_rows_text(bad_time)}")
    for label, rows in row_of_label.items():
        if len(rows) < min_rows:
            where = f" ({_rows_text(rows)})" if rows else ""
            problems.append(f"label {label!r} has {len(rows)} row(s){where}; each label needs at least {min_rows}")
    return problems

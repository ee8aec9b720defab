"""Read a labelled CSV/TSV (text, label, optional time) with clear errors and a count of skipped rows."""
from __future__ import annotations

import csv
import hashlib
import logging
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

SHOWN_ROWS = 10


class LabelledDataError(ValueError):
    """The file cannot be used: missing, unreadable, wrong columns or no usable rows."""


@dataclass(slots=True)
class LabelledData:
    """Texts with their labels (and times when a time column was named), in file order."""

    texts: list[str]
    labels: list[str]
    times: list[datetime] | None = None
    skipped: int = 0
    source: str = ""
    sha256: str = ""
    skip_reasons: dict[str, int] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)
    skipped_rows: dict[str, list[int]] = field(default_factory=dict)

    def __len__(self) -> int:
        """The number of usable rows."""
        return len(self.texts)

    def subset(self, indices: list[int]) -> LabelledData:
        """The rows at `indices`, in that order."""
        return LabelledData(
            texts=[self.texts[i] for i in indices],
            labels=[self.labels[i] for i in indices],
            times=[self.times[i] for i in indices] if self.times is not None else None,
            source=self.source, sha256=self.sha256,
            rows=[self.rows[i] for i in indices] if len(self.rows) == len(self.texts) else [],
        )


def rows_text(rows: list[int], shown: int = SHOWN_ROWS) -> str:
    """'rows 2, 5, 9' with at most `shown` numbers and a count of the rest."""
    listed = ", ".join(str(r) for r in rows[:shown])
    more = f" and {len(rows) - shown} more" if len(rows) > shown else ""
    return f"row{'s' if len(rows) != 1 else ''} {listed}{more}"


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_time(value: str) -> datetime | None:
    """A date or ISO 8601 timestamp as a naive UTC time (naive input is taken as is); None if unreadable."""
    text = value.strip()
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def sniff_delimiter(path: Path, sample: str) -> str:
    """Tab for .tsv files or tab-separated headers, else comma."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    first = sample.splitlines()[0] if sample else ""
    return "\t" if first.count("\t") > first.count(",") else ","


def read_labelled_csv(path: str | Path, text_column: str = "text", label_column: str = "label",
                      time_column: str | None = None) -> LabelledData:
    """Rows with a non-empty text and label (and a parseable time when `time_column` is given).

    Rows that fail are skipped, counted per reason and their file row numbers kept (the header is row 1);
    raises LabelledDataError when the file or a column is missing or no row is usable.
    """
    path = Path(path)
    if not path.is_file():
        raise LabelledDataError(f"data file not found: {path}")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(4096)
            handle.seek(0)
            reader = csv.DictReader(handle, delimiter=sniff_delimiter(path, sample))
            columns = reader.fieldnames or []
            wanted = [c for c in (text_column, label_column, time_column) if c]
            missing = [c for c in wanted if c not in columns]
            if missing:
                raise LabelledDataError(
                    f"{path.name}: column(s) {', '.join(missing)} not found; the file has: {', '.join(columns)}")
            data = LabelledData([], [], [] if time_column else None, source=str(path))
            for row in reader:
                reason = _add_row(data, row, text_column, label_column, time_column)
                if reason:
                    data.skipped += 1
                    data.skip_reasons[reason] = data.skip_reasons.get(reason, 0) + 1
                    data.skipped_rows.setdefault(reason, []).append(reader.line_num)
                else:
                    data.rows.append(reader.line_num)
    except UnicodeDecodeError as err:
        raise LabelledDataError(f"{path.name} is not UTF-8 text (byte {err.start})") from None
    except csv.Error as err:
        raise LabelledDataError(f"{path.name} is not a readable CSV: {err}") from None
    if data.skipped:
        log.warning("%s: skipped %d row(s): %s", path.name, data.skipped,
                    "; ".join(f"{k} in {rows_text(data.skipped_rows[k])}" for k in sorted(data.skip_reasons)))
    if not data.texts:
        raise LabelledDataError(f"{path.name}: no usable rows (need a non-empty {text_column!r} and {label_column!r})")
    data.sha256 = file_sha256(path)
    return data


def _add_row(data: LabelledData, row: dict[str, str | None], text_column: str, label_column: str,
             time_column: str | None) -> str | None:
    """Append one row to `data`; return the reason when it is skipped."""
    text = (row.get(text_column) or "").strip()
    label = (row.get(label_column) or "").strip()
    if not text:
        return "empty text"
    if not label:
        return "empty label"
    moment = None
    if time_column:
        moment = parse_time(row.get(time_column) or "")
        if moment is None:
            return "unreadable time"
    data.texts.append(text)
    data.labels.append(label)
    if data.times is not None:
        data.times.append(moment)  # type: ignore[arg-type]
    return None

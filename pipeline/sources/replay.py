"""Replay a JSONL or CSV file of raw signals: resumable by byte offset or row count, optionally paced."""
from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from pipeline.core.signal import MAX_TEXT_CHARS, DeadLetter, InvalidSignal, RawSignal, SourceBatch, decode_line, validate
from pipeline.enrich.pii.boundary import dead_letter
from pipeline.sources.csv_rows import numbered_rows

log = logging.getLogger(__name__)

JSONL_SUFFIXES = frozenset({".jsonl", ".json", ".ndjson"})
CSV_SUFFIXES = frozenset({".csv"})
HEARTBEAT_SECONDS = 0.5
DELETION_CHECK_SECONDS = 1.0
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_INTEGER = re.compile(r"-?\d{1,18}")
_DECIMAL = re.compile(r"-?\d+\.\d+")


@dataclass(slots=True)
class ReadRecord:
    """One record read from a file: a signal, a rejection (reason) or a skipped blank line."""

    position: str
    cursor: dict[str, Any]
    signal: RawSignal | None = None
    reason: str | None = None
    raw: bytes | str = b""


def max_line_bytes(max_text_chars: int) -> int:
    """The longest JSONL line worth decoding; longer lines are rejected without being held in memory."""
    return max_text_chars * 4 + 65_536


def coerce_cell(value: str) -> Any:
    """Turn a CSV cell into a JSON-like value: integers, decimals and true/false become typed."""
    text = value.strip()
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return value


def csv_row_text(row: list[str]) -> str:
    """The row written back as one CSV line (for dead letters), with undecodable bytes replaced."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    return printable(buffer.getvalue().rstrip("\r\n"))


def printable(text: str) -> str:
    """Replace lone surrogates (undecodable bytes read with surrogateescape) by U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def ensure_csv_field_limit(limit: int) -> None:
    """Raise the csv module's field size limit so long texts reach validation instead of breaking the reader."""
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)


def csv_row_to_object(columns: list[str], row: list[str]) -> dict[str, Any]:
    """Map a CSV row onto a signal object: plain columns, a JSON `meta` column and `meta_<key>` columns."""
    obj: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    for column, value in zip(columns, row):
        if column == "meta":
            if value.strip():
                try:
                    decoded = json.loads(value)
                except json.JSONDecodeError as err:
                    raise InvalidSignal(f"meta column is not valid JSON: {err.msg}") from None
                if not isinstance(decoded, dict):
                    raise InvalidSignal(f"meta column must hold a JSON object, got {type(decoded).__name__}")
                meta.update(decoded)
        elif column.startswith("meta_") and len(column) > 5:
            if value.strip():
                meta[column[5:]] = coerce_cell(value)
        elif column:
            obj[column] = value
    if meta:
        obj["meta"] = meta
    return obj


def read_jsonl(handle: BinaryIO, cursor: dict[str, Any], max_text_chars: int) -> Iterator[ReadRecord]:
    """Read JSONL records from the byte offset in `cursor`; the cursor of each record points after it."""
    offset = int(cursor.get("offset", 0))
    line_no = int(cursor.get("line", 0))
    size = os.fstat(handle.fileno()).st_size
    if offset > size:
        log.warning("replay cursor offset %d is beyond the end of the file (%d bytes): the file was replaced; "
                    "reading it again from the start", offset, size)
        offset, line_no = 0, 0
    handle.seek(offset)
    limit = max_line_bytes(max_text_chars)
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        consumed = len(line)
        overlong = len(line) > limit and not line.endswith(b"\n")
        while overlong:
            chunk = handle.readline(1 << 20)
            consumed += len(chunk)
            if not chunk or chunk.endswith(b"\n"):
                break
        if offset == 0 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        offset += consumed
        line_no += 1
        here = {"offset": offset, "line": line_no}
        position = f"line {line_no}"
        if overlong:
            yield ReadRecord(position, here, reason=f"record too large: {consumed} bytes, the limit is {limit}",
                             raw=line[:4096])
            continue
        stripped = line.strip()
        if not stripped:
            yield ReadRecord(position, here)
            continue
        try:
            yield ReadRecord(position, here, signal=decode_line(stripped, max_text_chars))
        except InvalidSignal as err:
            yield ReadRecord(position, here, reason=err.reason, raw=stripped)


def read_csv(handle: BinaryIO, cursor: dict[str, Any], max_text_chars: int) -> Iterator[ReadRecord]:
    """Read CSV records, skipping the `rows` already consumed according to `cursor`."""
    done = int(cursor.get("rows", 0))
    ensure_csv_field_limit(max_line_bytes(max_text_chars) * 2)
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader, None)
    except csv.Error as err:
        yield ReadRecord("header", {"rows": done}, reason=f"broken CSV header: {err}", raw="")
        return
    if header is None:
        return
    columns = [printable(name).strip().lower() for name in header]
    missing = [name for name in ("id", "channel", "created_at", "text") if name not in columns]
    if missing and done == 0:
        log.warning("CSV header lacks column(s) %s: every row will be a dead letter", ", ".join(missing))
    for index, row, reason in numbered_rows(reader):
        if index <= done:
            continue
        if row is None:
            yield ReadRecord(f"row {index}", {"rows": index}, reason=reason, raw="(unparseable)")
            continue
        here = {"rows": index}
        position = f"row {index}"
        if not row or (len(row) == 1 and not row[0].strip()):
            yield ReadRecord(position, here)
            continue
        if len(row) != len(columns):
            yield ReadRecord(position, here, raw=csv_row_text(row),
                             reason=f"broken CSV row: {len(row)} fields, the header has {len(columns)}")
            continue
        if any(_UNDECODABLE.search(cell) for cell in row):
            yield ReadRecord(position, here, reason="not valid UTF-8", raw=csv_row_text(row))
            continue
        try:
            signal = validate(csv_row_to_object(columns, row), max_text_chars)
        except InvalidSignal as err:
            yield ReadRecord(position, here, reason=err.reason, raw=csv_row_text(row))
            continue
        yield ReadRecord(position, here, signal=signal)


class Pacer:
    """Spaces signals by the gaps between their created_at, divided by a speed factor."""

    def __init__(self, speed: float) -> None:
        """Pace at `speed` times real time; the first signal sets the anchor."""
        self.speed = speed
        self._anchor: tuple[float, datetime] | None = None

    def delay(self, created_at: datetime) -> float:
        """Seconds to wait before this signal is due (0 for the first one and for out-of-order ones)."""
        now = time.monotonic()
        if self._anchor is None:
            self._anchor = (now, created_at)
            return 0.0
        started, first = self._anchor
        due = started + (created_at - first).total_seconds() / self.speed
        return max(0.0, due - now)


class DeletionWatch:
    """Notices (and logs once) when the file being read is deleted or replaced; reading goes on."""

    def __init__(self, path: Path, handle: BinaryIO) -> None:
        """Remember which file (inode) `handle` has open."""
        self.path = path
        self.inode = os.fstat(handle.fileno()).st_ino
        self._next_check = time.monotonic() + DELETION_CHECK_SECONDS
        self.warned = False

    def check(self) -> None:
        """Look at most once per second whether the path still names the open file."""
        now = time.monotonic()
        if self.warned or now < self._next_check:
            return
        self._next_check = now + DELETION_CHECK_SECONDS
        try:
            gone = os.stat(self.path).st_ino != self.inode
        except OSError:
            gone = True
        if gone:
            self.warned = True
            log.warning("replay file %s was deleted or replaced while being read; "
                        "continuing from the open file so nothing is lost", self.path)


@dataclass(slots=True)
class _Pending:
    """The batch being filled."""

    cursor: dict[str, Any]
    signals: list[RawSignal] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    received: list[float] = field(default_factory=list)

    def take(self) -> SourceBatch:
        """Hand over the batch and start an empty one at the same cursor."""
        batch = SourceBatch(self.signals, self.dead, dict(self.cursor), self.received)
        self.signals, self.dead, self.received = [], [], []
        return batch

    def __len__(self) -> int:
        """Signals plus dead letters waiting."""
        return len(self.signals) + len(self.dead)


class ReplaySource:
    """Replays a JSONL (.jsonl/.json/.ndjson) or CSV (.csv) file of raw signals."""

    def __init__(self, path: str | Path, speed: float | None = None, batch_size: int = 500,
                 max_text_chars: int = MAX_TEXT_CHARS) -> None:
        """Check the arguments; the file itself is opened (and must exist) when batches() starts."""
        self.path = Path(path)
        self.name = f"replay:{self.path.resolve()}"
        suffix = self.path.suffix.lower()
        if suffix not in JSONL_SUFFIXES | CSV_SUFFIXES:
            raise ValueError(f"cannot replay {self.path.name!r}: expected a .jsonl, .json, .ndjson or .csv file")
        if speed is not None and speed <= 0:
            raise ValueError(f"speed must be a positive factor or None, got {speed}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.is_csv = suffix in CSV_SUFFIXES
        self.speed = speed
        self.batch_size = batch_size
        self.max_text_chars = max_text_chars

    def batches(self, cursor: dict[str, Any] | None, stop: threading.Event) -> Iterator[SourceBatch]:
        """Yield batches from just after `cursor` to the end of the file, or until `stop` is set."""
        try:
            handle = open(self.path, "rb")
        except FileNotFoundError:
            raise FileNotFoundError(f"replay file not found: {self.path}") from None
        start = dict(cursor or {})
        with handle:
            watch = DeletionWatch(self.path, handle)
            reader = read_csv if self.is_csv else read_jsonl
            records = reader(handle, start, self.max_text_chars)
            yield from self._batched(records, start, watch, stop)

    def _batched(self, records: Iterator[ReadRecord], start: dict[str, Any], watch: DeletionWatch,
                 stop: threading.Event) -> Iterator[SourceBatch]:
        """Group records into batches, pacing signals when a speed is set and sending heartbeats while waiting."""
        pending = _Pending(cursor=start)
        pacer = Pacer(self.speed) if self.speed else None
        for record in records:
            if stop.is_set():
                break
            if pacer is not None and record.signal is not None:
                delay = pacer.delay(record.signal.created_at)
                if delay > 0:
                    if len(pending):
                        yield pending.take()
                    if not (yield from self._wait(delay, pending, stop)):
                        return
            self._add(pending, record)
            if len(pending) >= self.batch_size:
                yield pending.take()
            watch.check()
        if len(pending) or pending.cursor != start:
            yield pending.take()

    def _wait(self, delay: float, pending: _Pending, stop: threading.Event) -> Iterator[SourceBatch]:
        """Wait `delay` seconds in heartbeat-sized slices; returns False when `stop` was set."""
        deadline = time.monotonic() + delay
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if stop.wait(min(remaining, HEARTBEAT_SECONDS)):
                return False
            if deadline - time.monotonic() > 0:
                yield pending.take()

    def _add(self, pending: _Pending, record: ReadRecord) -> None:
        """Put one record into the pending batch and move the batch cursor past it."""
        pending.cursor = record.cursor
        if record.signal is not None:
            pending.signals.append(record.signal)
            pending.received.append(time.monotonic())
        elif record.reason is not None:
            pending.dead.append(dead_letter(self.name, record.position, record.reason, record.raw))

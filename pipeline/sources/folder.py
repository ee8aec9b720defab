"""Watch a folder for call-note exports (CSV, JSON, JSONL) and read each settled file exactly once."""
from __future__ import annotations

import csv
import io
import json
import logging
import os
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from pipeline.core.signal import MAX_TEXT_CHARS, InvalidSignal, RawSignal
from pipeline.core.signal import DeadLetter, SourceBatch
from pipeline.sources.csv_rows import numbered_rows
from pipeline.sources.call_note_export import map_call_note

log = logging.getLogger(__name__)

EXPORT_SUFFIXES = (".csv", ".json", ".jsonl")
IGNORED_SUFFIXES = (".tmp", ".part", ".partial", "~")
JSON_LIST_KEYS = ("notes", "notities")
MAX_EXPORT_BYTES = 256 * 1024 * 1024
HEARTBEAT_SECONDS = 0.5
VANISHED = "file vanished before it could be read"


def is_export_name(name: str) -> bool:
    """True for visible .csv/.json/.jsonl names that are not marked as partial or temporary."""
    lower = name.lower()
    if name.startswith(".") or lower.endswith(IGNORED_SUFFIXES):
        return False
    return lower.endswith(EXPORT_SUFFIXES)


def decode_export(data: bytes, name: str) -> str:
    """Decode an export as UTF-8 (BOM allowed), falling back to Windows-1252 with a warning."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        log.warning("%s is not valid UTF-8 (byte %d); reading it as Windows-1252", name, err.start)
        return data.decode("cp1252", errors="replace")


@dataclass(slots=True)
class ExportRow:
    """One record of an export: the decoded object, or the reason it could not be read; blank rows have neither."""

    position: str
    record: Any = None
    content: str = ""
    error: str | None = None


def sniff_delimiter(header_line: str) -> str:
    """Semicolon (Dutch spreadsheet exports), tab or comma, whichever the header line uses most."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def csv_rows(text: str) -> Iterator[ExportRow]:
    """The data rows of a CSV export as objects keyed by the header."""
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first_line))
    try:
        header = next(reader, None)
    except csv.Error as err:
        yield ExportRow("header", error=f"broken CSV header: {err}")
        return
    if header is None:
        return
    for index, row, reason in numbered_rows(reader):
        if row is None:
            yield ExportRow(f"row {index}", error=reason, content="(unparseable)")
            continue
        content = ",".join(row)
        if not row or not any(cell.strip() for cell in row):
            yield ExportRow(f"row {index}")
        elif len(row) != len(header):
            yield ExportRow(f"row {index}", content=content,
                            error=f"broken CSV row: {len(row)} fields, the header has {len(header)}")
        else:
            yield ExportRow(f"row {index}", record=dict(zip(header, row)), content=content)


def json_rows(text: str) -> Iterator[ExportRow]:
    """The notes of a JSON export: an array of objects or {"notes": [...]}."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        yield ExportRow("file", content=text, error=f"invalid JSON: {err.msg} at line {err.lineno} column {err.colno}")
        return
    if isinstance(document, dict):
        lowered = {str(key).lower(): value for key, value in document.items()}
        document = next((lowered[key] for key in JSON_LIST_KEYS if key in lowered), None)
    if not isinstance(document, list):
        yield ExportRow("file", content=text[:4096],
                        error='a JSON export must be an array of notes or an object {"notes": [...]}')
        return
    for index, item in enumerate(document, start=1):
        yield ExportRow(f"item {index}", record=item,
                        content=json.dumps(item, sort_keys=True, ensure_ascii=False, default=str))


def jsonl_rows(text: str) -> Iterator[ExportRow]:
    """The notes of a JSONL export, one object per line."""
    for index, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            yield ExportRow(f"line {index}")
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            yield ExportRow(f"line {index}", content=line, error=f"invalid JSON: {err.msg} at column {err.colno}")
            continue
        yield ExportRow(f"line {index}", record=record,
                        content=json.dumps(record, sort_keys=True, ensure_ascii=False, default=str))


def export_rows(name: str, text: str) -> Iterator[ExportRow]:
    """The rows of an export, by the file's extension."""
    lower = name.lower()
    if lower.endswith(".csv"):
        return csv_rows(text)
    if lower.endswith(".jsonl"):
        return jsonl_rows(text)
    return json_rows(text)


@dataclass(slots=True)
class Sighting:
    """What the watcher saw of a file that is not processed yet, to decide when it has settled."""

    signature: str
    mtime_ns: int
    since: float
    scans: int = 1


@dataclass(slots=True)
class FolderState:
    """The cursor: files done (name -> "size:mtime_ns") and the file being read with the rows consumed."""

    done: dict[str, str] = field(default_factory=dict)
    current: dict[str, Any] | None = None

    @classmethod
    def of(cls, cursor: dict[str, Any] | None) -> "FolderState":
        """Rebuild the state from a stored cursor, ignoring malformed parts."""
        cursor = cursor or {}
        done = cursor.get("done") if isinstance(cursor.get("done"), dict) else {}
        current = cursor.get("current") if isinstance(cursor.get("current"), dict) else None
        return cls(done={str(k): str(v) for k, v in done.items()}, current=current)

    def cursor(self) -> dict[str, Any]:
        """The JSON-able cursor."""
        return {"done": dict(self.done), "current": None if self.current is None else dict(self.current)}


def signature_of(info: os.stat_result) -> str:
    """The identity of a file version: size and modification time in nanoseconds."""
    return f"{info.st_size}:{info.st_mtime_ns}"


class FolderSource:
    """Reads call-note exports dropped in a directory, once each, after they stop changing."""

    def __init__(self, directory: str | Path, settle_seconds: float = 2.0, poll_interval: float = 0.5,
                 once: bool = False, batch_size: int = 500, max_text_chars: int = MAX_TEXT_CHARS) -> None:
        """Watch `directory`; with `once`, return after the files present have been read."""
        self.directory = Path(directory)
        self.name = f"folder:{self.directory.resolve()}"
        self.settle_seconds = max(0.0, settle_seconds)
        self.poll_interval = max(0.01, poll_interval)
        self.once = once
        self.batch_size = max(1, batch_size)
        self.max_text_chars = max_text_chars
        self._seen: dict[str, Sighting] = {}

    def batches(self, cursor: dict[str, Any] | None, stop: threading.Event) -> Iterator[SourceBatch]:
        """Yield the notes of every settled export not done yet; with `once`, return when none is left."""
        if not self.directory.is_dir():
            raise FileNotFoundError(f"watched folder not found: {self.directory}")
        state = FolderState.of(cursor)
        self._seen = {}
        if state.current is not None:
            if not (yield from self._resume(state, stop)):
                return
        while not stop.is_set():
            ready, vanished = self._scan(state)
            for name in vanished:
                yield self._dead_batch(state, name, VANISHED)
            for name, signature in ready:
                if stop.is_set() or not (yield from self._process(state, name, signature, 0, stop)):
                    return
            if self.once and not self._seen:
                yield SourceBatch([], [], state.cursor(), [])
                return
            yield SourceBatch([], [], state.cursor(), [])
            stop.wait(min(self.poll_interval, HEARTBEAT_SECONDS))

    def _resume(self, state: FolderState, stop: threading.Event) -> Iterator[SourceBatch]:
        """Finish the file a previous run was reading when it stopped; False when `stop` interrupted it."""
        current = state.current or {}
        name, rows = str(current.get("name", "")), int(current.get("rows", 0) or 0)
        if not name or "/" in name or name.startswith("."):
            log.warning("ignoring a malformed folder cursor entry %r", current)
            state.current = None
            return True
        try:
            signature = signature_of(os.stat(self.directory / name))
        except OSError:
            state.current = None
            yield self._dead_batch(state, name, f"{VANISHED} to the end ({rows} rows had been read)")
            return True
        if signature != current.get("signature"):
            log.warning("%s changed since it was partly read; it will be read again from the start", name)
            state.current = None
            return True
        return (yield from self._process(state, name, signature, rows, stop))

    def _scan(self, state: FolderState) -> tuple[list[tuple[str, str]], list[str]]:
        """List the folder: settled files ready to read (oldest first) and tracked files that disappeared."""
        now, wall_ns = time.monotonic(), time.time_ns()
        present: dict[str, os.stat_result] = {}
        try:
            entries = list(os.scandir(self.directory))
        except OSError as err:
            log.error("cannot list the watched folder %s: %s", self.directory, err)
            return [], []
        for entry in entries:
            if not is_export_name(entry.name):
                continue
            try:
                info = entry.stat()
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                present[entry.name] = info
        vanished = [name for name in self._seen if name not in present]
        for name in vanished:
            del self._seen[name]
        for name in [name for name in state.done if name not in present]:
            del state.done[name]
        ready: list[tuple[int, str, str]] = []
        for name, info in present.items():
            signature = signature_of(info)
            if state.done.get(name) == signature:
                self._seen.pop(name, None)
                continue
            seen = self._seen.get(name)
            if seen is None or seen.signature != signature:
                self._seen[name] = Sighting(signature, info.st_mtime_ns, now)
                continue
            seen.scans += 1
            quiet_long_enough = now - seen.since >= self.settle_seconds
            old_enough = (wall_ns - info.st_mtime_ns) / 1e9 >= self.settle_seconds
            if quiet_long_enough or old_enough:
                ready.append((info.st_mtime_ns, name, signature))
        ready.sort()
        return [(name, signature) for _, name, signature in ready], vanished

    def _dead_batch(self, state: FolderState, name: str, reason: str) -> SourceBatch:
        """A batch holding one dead letter about a whole file."""
        log.warning("%s: %s", name, reason)
        return SourceBatch([], [DeadLetter.of(self.name, name, reason, name)], state.cursor(), [])

    def _read(self, name: str) -> str | None:
        """The decoded content of an export, or None when it vanished; raises OSError for other failures."""
        try:
            with open(self.directory / name, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size > MAX_EXPORT_BYTES:
                    raise OSError(f"file too large: {size} bytes, the limit is {MAX_EXPORT_BYTES}")
                data = handle.read()
        except FileNotFoundError:
            return None
        return decode_export(data, name)

    def _process(self, state: FolderState, name: str, signature: str, skip: int,
                 stop: threading.Event) -> Iterator[SourceBatch]:
        """Read one export from row `skip` on, in batches; False when `stop` interrupted it."""
        self._seen.pop(name, None)
        if name in state.done:
            log.info("%s changed since it was read; reading the new version", name)
        try:
            text = self._read(name)
        except OSError as err:
            state.done[name] = signature
            yield self._dead_batch(state, name, f"cannot read the file: {err}")
            return True
        if text is None:
            yield self._dead_batch(state, name, VANISHED)
            return True
        state.current = {"name": name, "signature": signature, "rows": skip}
        signals: list[RawSignal] = []
        dead: list[DeadLetter] = []
        received: list[float] = []
        for index, row in enumerate(export_rows(name, text), start=1):
            if index <= skip:
                continue
            self._take_row(name, row, signals, dead, received)
            state.current["rows"] = index
            if len(signals) + len(dead) >= self.batch_size:
                yield SourceBatch(signals, dead, state.cursor(), received)
                signals, dead, received = [], [], []
                if stop.is_set():
                    return False
        state.current = None
        state.done[name] = signature
        log.info("read %s", name)
        yield SourceBatch(signals, dead, state.cursor(), received)
        return True

    def _take_row(self, name: str, row: ExportRow, signals: list[RawSignal], dead: list[DeadLetter],
                  received: list[float]) -> None:
        """Map one export row into a signal or a dead letter (blank rows are skipped)."""
        position = f"{name} {row.position}"
        if row.error is not None:
            dead.append(DeadLetter.of(self.name, position, row.error, row.content))
            return
        if row.record is None:
            return
        try:
            signals.append(map_call_note(row.record, name, row.content, self.max_text_chars))
            received.append(time.monotonic())
        except InvalidSignal as err:
            dead.append(DeadLetter.of(self.name, position, err.reason, row.content))

"""Watch a folder for call-note exports (CSV, JSON, JSONL) and read each complete file exactly once.

A file counts as complete in either of two ways (both are supported):
- written then renamed: the exporter writes `name.csv.part` (or .tmp, .partial, `~`, a dot-file), which is
  never read, and renames it to `name.csv` when done; the rename is atomic, so this is the safe way;
- settled: its size and modification time have not changed for `settle_seconds`, seen over at least two
  scans, and it ends like a finished export (a CSV or JSONL with a final newline, a JSON with `]` or `}`);
  a file that does not end that way waits `unfinished_seconds` longer (a stalled exporter's buffer often
  stops mid-row). A file that changes while it is read is put back and read again once settled.
A note whose id was seen before (in the same file, an earlier file, or an earlier version of the file) is an
update of that note: the store keeps one row per id; the source counts and logs updates (never their content).
"""
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

from pipeline.core.signal import MAX_TEXT_CHARS, DeadLetter, InvalidSignal, RawSignal, SourceBatch
from pipeline.enrich.pii.boundary import dead_letter
from pipeline.sources.call_note_export import map_call_note
from pipeline.sources.csv_rows import numbered_rows

log = logging.getLogger(__name__)

EXPORT_SUFFIXES = (".csv", ".json", ".jsonl")
IGNORED_SUFFIXES = (".tmp", ".part", ".partial", "~")
JSON_LIST_KEYS = ("notes", "notities")
MAX_EXPORT_BYTES = 256 * 1024 * 1024
HEARTBEAT_SECONDS = 0.5
VANISHED = "file vanished before it could be read"
TAIL_BYTES = 64
MAX_REMEMBERED_IDS = 200_000
UNFINISHED_FACTOR = 10.0


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
                 once: bool = False, batch_size: int = 500, max_text_chars: int = MAX_TEXT_CHARS,
                 unfinished_seconds: float | None = None) -> None:
        """Watch `directory`; with `once`, return after the files present have been read; a settled file that
        does not end like a finished export waits `unfinished_seconds` (default 10 x settle_seconds)."""
        self.directory = Path(directory)
        self.name = f"folder:{self.directory.resolve()}"
        self.settle_seconds = max(0.0, settle_seconds)
        self.poll_interval = max(0.01, poll_interval)
        self.once = once
        self.batch_size = max(1, batch_size)
        self.max_text_chars = max_text_chars
        self.unfinished_seconds = (self.settle_seconds * UNFINISHED_FACTOR if unfinished_seconds is None
                                   else max(self.settle_seconds, unfinished_seconds))
        self.updates = 0
        self._seen: dict[str, Sighting] = {}
        self._ids: dict[str, None] = {}

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
            quiet = max(now - seen.since, (wall_ns - info.st_mtime_ns) / 1e9)
            if quiet < self.settle_seconds:
                continue
            if quiet < self.unfinished_seconds and not self._ends_finished(name):
                continue
            ready.append((info.st_mtime_ns, name, signature))
        ready.sort()
        return [(name, signature) for _, name, signature in ready], vanished

    def _ends_finished(self, name: str) -> bool:
        """Whether the file's last bytes look like the end of a finished export (empty files do not)."""
        try:
            with open(self.directory / name, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - TAIL_BYTES))
                tail = handle.read()
        except OSError:
            return True  # let the read report it
        if name.lower().endswith(".json"):
            return tail.rstrip()[-1:] in (b"]", b"}")
        return tail.endswith(b"\n")

    def _dead_batch(self, state: FolderState, name: str, reason: str) -> SourceBatch:
        """A batch holding one dead letter about a whole file."""
        log.warning("%s: %s", name, reason)
        return SourceBatch([], [dead_letter(self.name, name, reason, name)], state.cursor(), [])

    def _read(self, name: str) -> tuple[str | None, str]:
        """The decoded content of an export (None when it vanished) and the signature it had while being read;
        raises OSError for other failures."""
        try:
            with open(self.directory / name, "rb") as handle:
                before = os.fstat(handle.fileno())
                if before.st_size > MAX_EXPORT_BYTES:
                    raise OSError(f"file too large: {before.st_size} bytes, the limit is {MAX_EXPORT_BYTES}")
                data = handle.read()
                after = signature_of(os.fstat(handle.fileno()))
        except FileNotFoundError:
            return None, ""
        if after != signature_of(before) or len(data) != before.st_size:
            return None, after
        return decode_export(data, name), after

    def _process(self, state: FolderState, name: str, signature: str, skip: int,
                 stop: threading.Event) -> Iterator[SourceBatch]:
        """Read one export from row `skip` on, in batches; False when `stop` interrupted it."""
        self._seen.pop(name, None)
        if name in state.done:
            log.info("%s changed since it was read; reading the new version", name)
        try:
            text, read_signature = self._read(name)
        except OSError as err:
            state.done[name] = signature
            yield self._dead_batch(state, name, f"cannot read the file: {err}")
            return True
        if read_signature and read_signature != signature or (text is None and read_signature):
            log.info("%s changed while it was being read; it is read once it has settled", name)
            self._seen[name] = Sighting(read_signature, 0, time.monotonic())
            return True
        if text is None:
            yield self._dead_batch(state, name, VANISHED)
            return True
        updates_before, counts = self.updates, {"signals": 0, "dead": 0}
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
                counts["signals"] += len(signals)
                counts["dead"] += len(dead)
                yield SourceBatch(signals, dead, state.cursor(), received)
                signals, dead, received = [], [], []
                if stop.is_set():
                    return False
        state.current = None
        state.done[name] = signature
        log.info("read %s: %d notes (%d of them updates of notes seen before), %d dead letters", name,
                 counts["signals"] + len(signals), self.updates - updates_before, counts["dead"] + len(dead))
        yield SourceBatch(signals, dead, state.cursor(), received)
        return True

    def _take_row(self, name: str, row: ExportRow, signals: list[RawSignal], dead: list[DeadLetter],
                  received: list[float]) -> None:
        """Map one export row into a signal or a dead letter (blank rows are skipped)."""
        position = f"{name} {row.position}"
        if row.error is not None:
            dead.append(dead_letter(self.name, position, row.error, row.content))
            return
        if row.record is None:
            return
        try:
            signal = map_call_note(row.record, name, row.content, self.max_text_chars)
        except InvalidSignal as err:
            dead.append(dead_letter(self.name, position, err.reason, row.content))
            return
        if self._remember(signal.id):
            self.updates += 1
            log.debug("%s updates a note seen before", position)
        signals.append(signal)
        received.append(time.monotonic())

    def _remember(self, signal_id: str) -> bool:
        """Note an id as seen; True when it was seen before (the most recent ids are kept, oldest dropped)."""
        if signal_id in self._ids:
            self._ids.pop(signal_id)
            self._ids[signal_id] = None
            return True
        self._ids[signal_id] = None
        if len(self._ids) > MAX_REMEMBERED_IDS:
            self._ids.pop(next(iter(self._ids)))
        return False

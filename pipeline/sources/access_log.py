"""A resumable source of site searches read from a web server access log (common or combined format).

Only successful GET requests to the configured search paths with a non-empty query parameter become
site_search signals; other requests are skipped, lines that are not in the log format become dead
letters. No IP address, user name or user agent is kept. The cursor is the byte offset after the
last line read (and the file's inode, so a rotated log is read from its start).
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO, Generator, Iterator
from urllib.parse import parse_qs, urlsplit

from pipeline.core.signal import DeadLetter, InvalidSignal, RawSignal, SourceBatch, validate
from pipeline.enrich.pii.boundary import dead_letter

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 16_384
_QUOTED = r'"((?:[^"\\]|\\.)*)"'
LOG_LINE = re.compile(
    r'^(?P<host>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]+)\] ' + _QUOTED.replace("(", "(?P<request>", 1)
    + r' (?P<status>\d{3}) (?P<size>\d+|-)(?: ' + _QUOTED.replace("(", "(?P<referer>", 1)
    + r' ' + _QUOTED.replace("(", "(?P<agent>", 1) + r')?(?: .*)?$')
LOG_TIME = re.compile(r"^(\d{2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$")
MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
BOT_MARKERS = ("bot", "spider", "crawl", "slurp", "monitor", "preview")


class LogLineError(ValueError):
    """A line that is not in common or combined log format."""


@dataclass(slots=True)
class LogEntry:
    """The parts of one access-log line the source needs."""

    time: datetime
    method: str
    target: str
    status: int
    agent: str


def parse_log_time(text: str) -> datetime:
    """'10/Oct/2024:13:55:36 +0200' as an aware datetime (month names in English, any locale)."""
    match = LOG_TIME.match(text)
    if not match:
        raise LogLineError(f"time {text[:40]!r} is not like 10/Oct/2024:13:55:36 +0200")
    day, month_name, year, hour, minute, second, sign, off_h, off_m = match.groups()
    month = MONTHS.get(month_name.lower())
    if month is None:
        raise LogLineError(f"unknown month {month_name!r}")
    offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (1 if sign == "+" else -1)
    try:
        return datetime(int(year), month, int(day), int(hour), int(minute), int(second), tzinfo=timezone(offset))
    except ValueError as err:
        raise LogLineError(f"impossible time {text[:40]!r}: {err}") from None


def parse_log_line(line: str) -> LogEntry | None:
    """Parse one line; None for a request line without method and target ("-"); LogLineError when malformed."""
    match = LOG_LINE.match(line)
    if not match:
        raise LogLineError("not in common or combined log format")
    moment = parse_log_time(match["time"])
    parts = match["request"].split()
    if len(parts) < 2:
        return None
    return LogEntry(time=moment, method=parts[0].upper(), target=parts[1], status=int(match["status"]),
                    agent=match["agent"] or "")


@dataclass(slots=True)
class SearchLogConfig:
    """Which URLs are searches: path -> query parameter, plus optional result-count and category parameters."""

    search_paths: dict[str, str] = field(default_factory=lambda: {"/zoeken": "q"})
    results_param: str | None = None
    category_param: str | None = None
    skip_bots: bool = True

    def param_for(self, path: str) -> str | None:
        """The query parameter of a search path (trailing slashes ignored), or None when it is no search path."""
        return self.search_paths.get(path.rstrip("/") or "/")


def _first_param(params: dict[str, list[str]], name: str | None) -> str | None:
    """The first non-blank value of a query parameter."""
    if not name:
        return None
    for value in params.get(name, []):
        if value.strip():
            return value.strip()
    return None


def search_signal(entry: LogEntry, config: SearchLogConfig, line_id: str) -> RawSignal | None:
    """The site_search signal for a log entry, or None when the request is not a (successful, human) search."""
    if entry.method != "GET" or not 200 <= entry.status < 400:
        return None
    if config.skip_bots and any(marker in entry.agent.lower() for marker in BOT_MARKERS):
        return None
    url = urlsplit(entry.target)
    param = config.param_for(url.path)
    if param is None:
        return None
    params = parse_qs(url.query, keep_blank_values=False, errors="replace")
    query = _first_param(params, param)
    if query is None:
        return None
    meta: dict[str, Any] = {"source": "access_log"}
    results = _first_param(params, config.results_param)
    if results is not None and results.isdigit():
        meta["results"] = int(results)
    category = _first_param(params, config.category_param)
    if category is not None:
        meta["category"] = category[:100]
    record = {"id": f"site_search:{line_id}", "channel": "site_search", "created_at": entry.time.isoformat(),
              "text": query[:500], "meta": meta}
    return validate(record)


def read_line(handle: BinaryIO) -> tuple[bytes, int, bool]:
    """(line without newline, at most MAX_LINE_BYTES + 1 of it; bytes consumed; ended with a newline)."""
    line = handle.readline(MAX_LINE_BYTES + 1)
    consumed = len(line)
    if line.endswith(b"\n"):
        return line[:-1], consumed, True
    if consumed <= MAX_LINE_BYTES:
        return line, consumed, False
    while True:  # an overlong line: skip the rest of it without holding it in memory
        chunk = handle.readline(1 << 16)
        consumed += len(chunk)
        if not chunk:
            return line, consumed, False
        if chunk.endswith(b"\n"):
            return line, consumed, True


class AccessLogSource:
    """Reads searches from an access log file, resumable by byte offset; optionally follows the file as it grows."""

    def __init__(self, path: str | Path, config: SearchLogConfig | None = None, name: str | None = None,
                 batch_size: int = 500, follow: bool = False, poll_seconds: float = 0.5) -> None:
        """Read `path` with `config`; `follow` keeps polling for new lines every `poll_seconds`."""
        self.path = Path(path)
        self.config = config or SearchLogConfig()
        self.name = name or f"access_log:{self.path.name}"
        self.batch_size = batch_size
        self.follow = follow
        self.poll_seconds = poll_seconds

    def _start_offset(self, cursor: dict[str, Any] | None, stat: os.stat_result) -> int:
        """Where to resume: the cursor offset, or 0 when the file was rotated or truncated."""
        if not cursor:
            return 0
        offset = int(cursor.get("offset", 0))
        inode = cursor.get("inode")
        if inode is not None and inode != stat.st_ino:
            log.warning("%s: the log file was replaced (rotated); reading the new file from the start", self.name)
            return 0
        if offset > stat.st_size:
            log.warning("%s: the log is shorter than the cursor (%d > %d bytes); reading from the start",
                        self.name, offset, stat.st_size)
            return 0
        return offset

    def _record(self, raw: bytes, offset: int, overlong: bool = False) -> tuple[RawSignal | None, DeadLetter | None]:
        """Turn one line (without its newline) into a signal, a dead letter, or neither (not a search)."""
        position = f"byte {offset}"
        if overlong:
            return None, dead_letter(self.name, position, f"line longer than {MAX_LINE_BYTES} bytes", raw[:4096])
        text = raw.decode("utf-8", errors="replace").rstrip("\r")
        if not text.strip():
            return None, None
        line_id = hashlib.sha1(f"{offset}\n{text}".encode("utf-8", "replace")).hexdigest()[:24]
        try:
            entry = parse_log_line(text)
            return (search_signal(entry, self.config, line_id) if entry else None), None
        except (LogLineError, InvalidSignal) as err:
            reason = err.reason if isinstance(err, InvalidSignal) else str(err)
            return None, dead_letter(self.name, position, reason, text)

    def batches(self, cursor: dict[str, Any] | None, stop: threading.Event) -> Iterator[SourceBatch]:
        """Yield batches of searches and dead letters after `cursor` until the end (or `stop` when following)."""
        while not stop.is_set():
            try:
                handle = open(self.path, "rb")
            except OSError as err:
                log.error("%s: cannot open %s: %s", self.name, self.path, err)
                return
            with handle:
                rotated = yield from self._read_file(handle, cursor, stop)
            if not rotated:
                return
            cursor = None

    def _read_file(self, handle: BinaryIO, cursor: dict[str, Any] | None,
                   stop: threading.Event) -> Generator[SourceBatch, None, bool]:
        """Batches from one open file; returns True when following and the file was replaced (read the new one)."""
        stat = os.fstat(handle.fileno())
        offset = self._start_offset(cursor, stat)
        handle.seek(offset)
        signals: list[RawSignal] = []
        received: list[float] = []
        dead: list[DeadLetter] = []
        lines = 0
        while not stop.is_set():
            head, consumed, complete = read_line(handle)
            if consumed and (complete or not self.follow):
                signal, letter = self._record(head, offset, overlong=consumed - complete > MAX_LINE_BYTES)
                offset += consumed
                lines += 1
                if signal is not None:
                    signals.append(signal)
                    received.append(time.monotonic())
                if letter is not None:
                    dead.append(letter)
                if lines >= self.batch_size:
                    yield SourceBatch(signals, dead, self._cursor(offset, stat), received)
                    signals, dead, received, lines = [], [], [], 0
                continue
            if consumed:
                handle.seek(offset)  # a line still being written: wait for its end
            if lines:
                yield SourceBatch(signals, dead, self._cursor(offset, stat), received)
                signals, dead, received, lines = [], [], [], 0
            if not self.follow or stop.wait(self.poll_seconds):
                return False
            if self._replaced(stat):
                log.info("%s: the log was rotated; continuing with the new file", self.name)
                return True
            yield SourceBatch([], [], self._cursor(offset, stat))
        return False

    def _replaced(self, stat: os.stat_result) -> bool:
        """True when the path now names another file than the one being read."""
        try:
            return os.stat(self.path).st_ino != stat.st_ino
        except OSError:
            return False

    @staticmethod
    def _cursor(offset: int, stat: os.stat_result) -> dict[str, Any]:
        """The cursor after `offset` bytes of the file with this inode."""
        return {"offset": offset, "inode": stat.st_ino}

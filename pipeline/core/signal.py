"""The raw signal (fields, parsing, validation with a reason per rejection), dead letters and source batches."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

CHANNELS: frozenset[str] = frozenset(
    {"twitter", "facebook", "call_note", "site_search", "email", "whatsapp", "webform"}
)
MAX_TEXT_CHARS = 20_000
MAX_ID_CHARS = 512


class InvalidSignal(ValueError):
    """A record that is not a valid raw signal; `reason` says why in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class RawSignal:
    """One raw signal as defined in ARCHITECTURE.md."""

    id: str
    channel: str
    created_at: datetime
    text: str
    author: str | None = None
    url: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form, with `created_at` as ISO 8601."""
        out: dict[str, Any] = {
            "id": self.id,
            "channel": self.channel,
            "created_at": self.created_at.isoformat(),
            "text": self.text,
        }
        if self.author is not None:
            out["author"] = self.author
        if self.url is not None:
            out["url"] = self.url
        if self.meta:
            out["meta"] = self.meta
        return out


def parse_time(value: Any) -> datetime:
    """Parse an ISO 8601 timestamp that carries a UTC offset ('Z' allowed)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidSignal("created_at must be a non-empty ISO 8601 string")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidSignal(f"created_at is not ISO 8601 ({len(value)} characters)") from None
    if moment.tzinfo is None:
        raise InvalidSignal("created_at has no UTC offset")
    return moment


def _optional_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidSignal(f"{key} must be a string, got {type(value).__name__}")
    return value


def validate(obj: Any, max_text_chars: int = MAX_TEXT_CHARS) -> RawSignal:
    """Turn a decoded JSON object into a RawSignal or raise InvalidSignal with the reason."""
    if not isinstance(obj, dict):
        raise InvalidSignal(f"a signal must be a JSON object, got {type(obj).__name__}")
    missing = [k for k in ("id", "channel", "created_at", "text") if k not in obj]
    if missing:
        raise InvalidSignal("missing field(s): " + ", ".join(missing))
    sid = obj["id"]
    if not isinstance(sid, str) or not sid.strip():
        raise InvalidSignal("id must be a non-empty string")
    if len(sid) > MAX_ID_CHARS:
        raise InvalidSignal(f"id longer than {MAX_ID_CHARS} characters")
    channel = obj["channel"]
    if channel not in CHANNELS:
        raise InvalidSignal(f"channel is unknown; expected one of {', '.join(sorted(CHANNELS))}")
    if ":" not in sid or sid.split(":", 1)[0] != channel:
        raise InvalidSignal(f"id must look like '<channel>:<id at the source>' with channel {channel!r}")
    text = obj["text"]
    if not isinstance(text, str):
        raise InvalidSignal(f"text must be a string, got {type(text).__name__}")
    if not text.strip():
        raise InvalidSignal("text is empty")
    if len(text) > max_text_chars:
        raise InvalidSignal(f"text too long: {len(text)} characters, the limit is {max_text_chars}")
    created = parse_time(obj["created_at"])
    meta = obj.get("meta") or {}
    if not isinstance(meta, dict):
        raise InvalidSignal(f"meta must be an object, got {type(meta).__name__}")
    return RawSignal(
        id=sid.strip(),
        channel=channel,
        created_at=created,
        text=text,
        author=_optional_str(obj, "author"),
        url=_optional_str(obj, "url"),
        meta=meta,
    )


def decode_line(line: bytes | str, max_text_chars: int = MAX_TEXT_CHARS) -> RawSignal:
    """Decode one JSONL line (bytes must be UTF-8) into a RawSignal or raise InvalidSignal."""
    if isinstance(line, bytes):
        if len(line) > max_text_chars * 4 + 65_536:
            raise InvalidSignal(f"record too large: {len(line)} bytes")
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InvalidSignal(f"not valid UTF-8 (at byte {err.start})") from None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        raise InvalidSignal(f"invalid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    return validate(obj, max_text_chars)


def utc_now() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(timezone.utc)


MAX_DEAD_RAW_CHARS = 65_536


@dataclass(slots=True)
class DeadLetter:
    """A record that could not be processed: the reason, where it came from, and its redacted form
    (built by `pipeline.enrich.pii.boundary.dead_letter`, which redacts).

    The raw record itself is never kept: `raw` holds it with personal data replaced by placeholders, and
    `raw_bytes` and `raw_sha256` let an operator recognise the original in the source without storing it.
    """

    source: str
    position: str
    reason: str
    raw: str
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    raw_bytes: int = 0
    raw_sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {"source": self.source, "position": self.position, "reason": self.reason, "raw": self.raw,
                "raw_bytes": self.raw_bytes, "raw_sha256": self.raw_sha256, "at": self.at.isoformat()}


@dataclass(slots=True)
class SourceBatch:
    """Signals and dead letters read since the previous batch, and the cursor to resume after them.

    `received` holds, per signal, the monotonic time it entered the pipeline (for latency).
    An empty batch is a heartbeat: the source is alive but has nothing new.
    """

    signals: list[RawSignal]
    dead: list[DeadLetter]
    cursor: dict[str, Any]
    received: list[float] = field(default_factory=list)

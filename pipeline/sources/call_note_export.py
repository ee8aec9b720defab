"""Map one record of a contact-centre call-note export (Dutch or English field names) onto a RawSignal."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.core.signal import MAX_TEXT_CHARS, InvalidSignal, RawSignal, validate

LOCAL_ZONE = ZoneInfo("Europe/Amsterdam")
CHANNEL = "call_note"

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "notitie_id", "note_id", "notitienummer"),
    "created_at": ("created_at", "datum", "tijdstip", "timestamp", "datum_tijd", "datumtijd"),
    "clock": ("tijd", "time"),
    "text": ("text", "tekst", "notitie", "omschrijving"),
    "author": ("medewerker", "agent", "author"),
    "team": ("team",),
    "callback": ("terugbellen", "callback", "terugbelverzoek"),
    "forwarded_to": ("doorgezet_naar", "forwarded_to", "doorgezet"),
    "neighbourhood": ("wijk", "neighbourhood", "neighborhood"),
}
META_FIELDS = ("team", "callback", "forwarded_to", "neighbourhood")
TRUE_WORDS = frozenset({"ja", "j", "yes", "y", "true", "waar", "1", "x"})
FALSE_WORDS = frozenset({"nee", "n", "no", "false", "onwaar", "0", ""})
LOCAL_FORMATS = ("%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S",
                 "%d-%m-%Y", "%d/%m/%Y")
_KEY_NOISE = re.compile(r"[\s\-.]+")


def normalise_key(key: Any) -> str:
    """Lower-case a field name and turn spaces, dots and hyphens into underscores."""
    return _KEY_NOISE.sub("_", str(key).strip().lower()).strip("_")


def pick(record: dict[str, Any], field: str) -> Any:
    """The value of the first alias of `field` present (and not blank) in `record`, else None."""
    for alias in FIELD_ALIASES[field]:
        value = record.get(alias)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return value
    return None


def parse_note_time(value: Any) -> datetime:
    """Read ISO 8601 with an offset, local Amsterdam time without one ('2024-06-11 14:03'), or epoch seconds."""
    if isinstance(value, bool):
        raise InvalidSignal("the time cannot be read")
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise InvalidSignal("the time is out of range") from None
    if not isinstance(value, str):
        raise InvalidSignal("the time cannot be read")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment: datetime | None = None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        for layout in LOCAL_FORMATS:
            try:
                moment = datetime.strptime(text, layout)
                break
            except ValueError:
                continue
    if moment is None:
        raise InvalidSignal("the time cannot be read")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_ZONE)
    return moment


def parse_flag(value: Any) -> bool | None:
    """ja/nee/true/false/1/0 (and booleans) as a bool; None when the value means neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value) if value in (0, 1) else None
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def content_id(file_name: str, content: str) -> str:
    """A stable id for a note without an id column: sha1 of file name and row content, 16 hex digits."""
    return hashlib.sha1(f"{file_name}\n{content}".encode("utf-8", "replace")).hexdigest()[:16]


def note_meta(record: dict[str, Any]) -> dict[str, Any]:
    """The meta of a call note: team, callback, forwarded_to, neighbourhood where present."""
    meta: dict[str, Any] = {}
    for field in META_FIELDS:
        value = pick(record, field)
        if value is None:
            continue
        if field == "callback":
            flag = parse_flag(value)
            if flag is not None:
                meta[field] = flag
        else:
            meta[field] = str(value).strip()
    return meta


def map_call_note(record: Any, file_name: str, content: str,
                  max_text_chars: int = MAX_TEXT_CHARS) -> RawSignal:
    """Turn one exported note into a call_note RawSignal, or raise InvalidSignal saying what is wrong."""
    if not isinstance(record, dict):
        raise InvalidSignal(f"a call note must be an object, got {type(record).__name__}")
    fields = {normalise_key(key): value for key, value in record.items()}
    text = pick(fields, "text")
    if text is None:
        raise InvalidSignal("no note text (expected a field text, tekst, notitie or omschrijving)")
    when = pick(fields, "created_at")
    if when is None:
        raise InvalidSignal("no time (expected a field created_at, datum, tijdstip or timestamp)")
    clock = pick(fields, "clock")
    if clock is not None and isinstance(when, str) and ":" not in when:
        when = f"{when.strip()} {str(clock).strip()}"
    raw_id = pick(fields, "id")
    if raw_id is None:
        note_id = f"{CHANNEL}:{content_id(file_name, content)}"
    else:
        raw_text = str(raw_id).strip()
        note_id = raw_text if raw_text.startswith(f"{CHANNEL}:") else f"{CHANNEL}:{raw_text}"
    author = pick(fields, "author")
    obj = {
        "id": note_id,
        "channel": CHANNEL,
        "created_at": parse_note_time(when).isoformat(),
        "text": text if isinstance(text, str) else str(text),
        "author": None if author is None else str(author).strip(),
        "meta": note_meta(fields),
    }
    return validate(obj, max_text_chars)

"""The redaction boundary for everything that is not an enriched signal: dead letters, nested values, log lines.

Enriched signals are redacted by the enricher; whatever else leaves the pipeline (a dead letter in the store, in
a file or on a Kafka topic, a log line) passes one of these functions first.
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Callable

from pipeline.core.signal import MAX_DEAD_RAW_CHARS, DeadLetter

UNREADABLE = "[onleesbaar]"
AUTHOR_PLACEHOLDER = "[auteur]"
# Keys whose values are personal however they look (a handle, a name field of a contact-centre export).
PERSONAL_KEYS = frozenset({"author", "auteur", "name", "naam", "username", "user", "handle", "screen_name",
                           "from", "email", "phone", "telefoon", "tel", "bsn", "iban", "address", "adres"})


def redact_reason(text: str) -> str:
    """A reason or message the pipeline wrote: numbers, e-mail addresses and URL query strings are removed
    (a reason never quotes a value, this catches one that slipped in from an exception)."""
    from pipeline.enrich.pii.redact import redact_structured  # on first use: the log filter installs cheaply

    try:
        return redact_structured(text)
    except Exception:  # noqa: BLE001 - the boundary must never let a value through on a bug
        return UNREADABLE


def redact_text(text: str) -> str:
    """A text with personal data replaced by placeholders; a failure gives a placeholder, never the text."""
    from pipeline.enrich.pii.redact import redact  # on first use: the log filter installs cheaply

    try:
        return redact(text)[0]
    except Exception:  # noqa: BLE001 - the boundary must never let a value through on a bug
        return UNREADABLE


def redact_value(value: Any, redact_string: Callable[[str], str] = redact_text, key: str = "") -> Any:
    """A JSON-like value with every string redacted at any depth; URLs lose their query string; numbers that
    read as personal data (a BSN, a phone number) become placeholders; values of personal keys are withheld."""
    if key.lower() in PERSONAL_KEYS and value not in (None, "", [], {}):
        return AUTHOR_PLACEHOLDER if key.lower() in ("author", "auteur") else "[verwijderd]"
    if isinstance(value, str):
        if value.startswith(("http://", "https://", "www.")) and " " not in value:
            return value.split("?", 1)[0].split("#", 1)[0]
        return redact_string(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and abs(value) >= 10_000_000:
        text = redact_string(str(value))
        return value if text == str(value) else text
    if isinstance(value, float):
        return value
    if isinstance(value, dict):
        return {str(k): redact_value(v, redact_string, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v, redact_string) for v in value]
    return value if isinstance(value, int) else redact_string(str(value))


def raw_fingerprint(raw: bytes | str) -> tuple[int, str]:
    """(byte length, SHA-256 hex) of a raw record, so it can be recognised without being kept."""
    data = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogatepass")
    return len(data), hashlib.sha256(data).hexdigest()


def redact_raw_record(raw: bytes | str, max_chars: int) -> str:
    """The redacted form of a rejected record: a JSON object field by field, anything else as text."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    if len(text) > max_chars:
        text = text[:max_chars]
    try:
        decoded = json.loads(text)
    except (ValueError, RecursionError):
        return redact_text(text)
    if isinstance(decoded, (dict, list)):
        return json.dumps(redact_value(decoded), ensure_ascii=False, separators=(",", ":"))
    return redact_text(text)


def dead_letter(source: str, position: str, reason: str, raw: bytes | str) -> DeadLetter:
    """A dead letter whose record and reason have passed the boundary; large records are cut, and the
    original is kept only as its byte length and SHA-256."""
    size, digest = raw_fingerprint(raw)
    return DeadLetter(source=source, position=str(position), reason=redact_reason(str(reason)),
                      raw=redact_raw_record(raw, MAX_DEAD_RAW_CHARS), raw_bytes=size, raw_sha256=digest)


class RedactingLogFilter(logging.Filter):
    """A logging filter that takes numbers, e-mail addresses and URL query strings out of each record's message
    (a last line of defence for log files; log calls themselves name the field and the problem, not the value)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the message by its redacted form; always let the record through."""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged without its arguments
            message = str(record.msg)
        record.msg = redact_reason(message)
        record.args = ()
        return True

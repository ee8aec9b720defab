"""Turn an enriched signal or an alert into one bulk item: its daily index, `_id` and JSON source."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable

from pipeline.core.signal import InvalidSignal, parse_time

MAX_ID_BYTES = 512  # Elasticsearch's limit for `_id`


class DocumentError(ValueError):
    """A document that cannot be indexed as it is; the message is the dead-letter reason."""


@dataclass(frozen=True, slots=True)
class PreparedDoc:
    """One document ready for the bulk API."""

    doc_id: str
    index: str
    source: bytes


def daily_index(prefix: str, moment: datetime) -> str:
    """`<prefix>-YYYY.MM.DD` for the UTC date of `moment` (the format ILM parses the origination date from)."""
    day: date = moment.astimezone(timezone.utc).date()
    return f"{prefix}-{day.year:04d}.{day.month:02d}.{day.day:02d}"


def _json_default(value: Any) -> Any:
    """JSON for datetimes (ISO 8601) and sets/tuples (lists)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_json_default)


def encode_source(doc: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON; NaN/Infinity and unknown types raise DocumentError."""
    try:
        return _ENCODER.encode(doc).encode("utf-8")
    except (TypeError, ValueError) as err:
        raise DocumentError(f"not serialisable as JSON: {err}") from None


def _doc_id(doc: Any) -> str:
    """The document's `id`, checked to be usable as an Elasticsearch `_id`."""
    if not isinstance(doc, dict):
        raise DocumentError(f"a document must be a JSON object, got {type(doc).__name__}")
    doc_id = doc.get("id")
    if not isinstance(doc_id, str) or not doc_id.strip():
        raise DocumentError("document has no string `id` (used as the Elasticsearch _id)")
    if len(doc_id.encode("utf-8")) > MAX_ID_BYTES:
        raise DocumentError(f"id longer than {MAX_ID_BYTES} bytes")
    return doc_id


def _moment(doc: dict[str, Any], field_name: str) -> datetime:
    """The document's timestamp field as an aware datetime."""
    value = doc.get(field_name)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise DocumentError(f"{field_name} has no UTC offset")
        return value
    try:
        return parse_time(value)
    except InvalidSignal as err:
        raise DocumentError(f"{field_name}: {err.reason}") from None


def _normalise_signal(doc: dict[str, Any]) -> dict[str, Any]:
    """Shape fields whose form varies between model versions so they always fit the mapping."""
    subtopic = doc.get("subtopic")
    if isinstance(subtopic, str):
        doc = {**doc, "subtopic": {"code": subtopic}}
    sentiment = doc.get("sentiment")
    if isinstance(sentiment, dict) and isinstance(sentiment.get("score"), float) and math.isnan(sentiment["score"]):
        raise DocumentError("sentiment.score is NaN")
    return doc


def prepare_signal(doc: Any, prefix: str) -> PreparedDoc:
    """Bulk item for an enriched signal: index by `created_at` (UTC day), `_id` = signal id."""
    doc_id = _doc_id(doc)
    moment = _moment(doc, "created_at")
    return PreparedDoc(doc_id, daily_index(prefix, moment), encode_source(_normalise_signal(doc)))


def prepare_alert(doc: Any, prefix: str) -> PreparedDoc:
    """Bulk item for an alert: index by `start` (UTC day), `_id` = alert id."""
    doc_id = _doc_id(doc)
    moment = _moment(doc, "start")
    return PreparedDoc(doc_id, daily_index(prefix, moment), encode_source(doc))


def prepare_deadletter(doc: Any, prefix: str) -> PreparedDoc:
    """Bulk item for a dead letter: index by `at` (UTC day), `_id` = the letter's id (source, position, hash)."""
    doc_id = _doc_id(doc)
    moment = _moment(doc, "at")
    return PreparedDoc(doc_id, daily_index(prefix, moment), encode_source(doc))


PREPARERS: dict[str, Callable[[Any, str], PreparedDoc]] = {"signals": prepare_signal, "alerts": prepare_alert,
                                                           "deadletters": prepare_deadletter}

"""How records look on the wire: raw signals, enriched documents, facts and dead letters as JSON bytes."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pipeline.core.signal import MAX_TEXT_CHARS, DeadLetter, InvalidSignal, RawSignal, decode_line

# The fields of an enriched signal the spike detector reads (see pipeline.alerts.windows.doc_facts).
FACT_FIELDS = ("id", "channel", "created_at", "place", "text", "keywords")
# Alerts quote at most this much text (pipeline.alerts.windows.MAX_EXAMPLE_CHARS); the rest only matters
# for term extraction when a signal has no keywords.
FACT_TEXT_CHARS = 500
# A detector fact on the wire (fact_row): these values in this order, the last two being the topic code and the
# sentiment label.
FACT_ROW = (*FACT_FIELDS, "topic", "sentiment")
# Facts per Kafka record: keeps a record far below Kafka's default 1 MB message limit.
FACTS_PER_RECORD = 500
# Keys of the facts topic: counting facts per dimension value ("count:topic:afval"), spread over partitions;
# detector facts per municipality ("detect:<municipality>"), so one partition sees its whole stream.
COUNT_PREFIX = "count:"
DETECT_PREFIX = "detect:"
COUNT_DIMENSIONS = ("topic", "channel")


def to_json_text(obj: Any) -> str:
    """Compact JSON text (non-ASCII kept as is), the form the SQLite store keeps documents in."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def to_json_bytes(obj: Any) -> bytes:
    """Compact UTF-8 JSON."""
    return to_json_text(obj).encode("utf-8")


def encode_key(key: str) -> bytes:
    """A record key (the signal id) as bytes."""
    return key.encode("utf-8")


def encode_signal(signal: RawSignal) -> bytes:
    """A raw signal as the value of a `signals.raw` record."""
    return to_json_bytes(signal.to_dict())


def decode_signal(value: bytes | None, max_text_chars: int = MAX_TEXT_CHARS) -> RawSignal:
    """Parse and validate a `signals.raw` value; raise InvalidSignal with the reason."""
    if value is None:
        raise InvalidSignal("empty record (no value)")
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise InvalidSignal(f"record value is {type(value).__name__}, expected bytes")
    return decode_line(bytes(value), max_text_chars)


def _parse_json(value: bytes | None, what: str) -> Any:
    """The JSON in a record value; ValueError naming `what` when it is empty or not JSON."""
    if value is None:
        raise ValueError("empty record (no value)")
    try:
        return json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{what} is not JSON: {err}") from None


def decode_doc(value: bytes | None, key: str = "id") -> dict[str, Any]:
    """Parse a JSON object record (an enriched signal, an alert event); ValueError unless it has `key`."""
    doc = _parse_json(value, "record")
    if not isinstance(doc, dict) or not isinstance(doc.get(key), str):
        raise ValueError(f"record is not a JSON object with a {key!r} string")
    return doc


def fact_row(doc: dict[str, Any]) -> list[Any]:
    """What the spike detector needs of an enriched signal, as a row of FACT_ROW values (null where absent): the
    detector facts' form on the wire, about two thirds the bytes of an object, because no field is named."""
    text = doc.get("text")
    if doc.get("keywords") and isinstance(text, str):
        text = text[:FACT_TEXT_CHARS]
    topic, sentiment = doc.get("topic"), doc.get("sentiment")
    return [doc.get("id"), doc.get("channel"), doc.get("created_at"), doc.get("place"), text, doc.get("keywords"),
            topic.get("code") if isinstance(topic, dict) else None,
            sentiment.get("label") if isinstance(sentiment, dict) else None]


def row_fact(row: Any) -> dict[str, Any] | None:
    """The fact object (the document fields the detector reads) of a fact_row() row; None when it is not one."""
    if not isinstance(row, list) or len(row) != len(FACT_ROW):
        return None
    fact = {name: value for name, value in zip(FACT_ROW[:6], row) if value is not None}
    if row[6] is not None:
        fact["topic"] = {"code": row[6]}
    if row[7] is not None:
        fact["sentiment"] = {"label": row[7]}
    return fact


def event_time(created_at: Any) -> float | None:
    """Seconds since the epoch of an ISO 8601 time with offset, or None when it is unusable."""
    if not isinstance(created_at, str):
        return None
    text = created_at[:-1] + "+00:00" if created_at.endswith(("Z", "z")) else created_at
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


def fact_time(moment: Any) -> float | None:
    """The event time of a counting fact: seconds since the epoch as written by count_records, or ISO 8601 text
    (older records, and created_at kept as given where it was unusable); None when unusable."""
    if isinstance(moment, (int, float)) and not isinstance(moment, bool):
        return float(moment)
    return event_time(moment)


def count_key(dimension: str, doc: dict[str, Any]) -> str:
    """The counting key of a document in one dimension: its topic code or its channel."""
    if dimension == "topic":
        return str((doc.get("topic") or {}).get("code") or "overig")
    return str(doc.get("channel") or "unknown")


def event_times(docs: list[dict[str, Any]]) -> list[float | None]:
    """The event time of each document (None where created_at is unusable), parsed once for all facts."""
    return [event_time(doc.get("created_at")) for doc in docs]


def count_records(docs: list[dict[str, Any]], times: list[float | None] | None = None) -> list[tuple[bytes, bytes]]:
    """(key, value) facts records for counting: per dimension value, the JSON list of [id, event time] of the
    batch's signals with that value (seconds since the epoch, or created_at as given where it is unusable),
    keyed `count:<dimension>:<value>` (the key picks the partition). `times`: event_times(docs), when known."""
    times = event_times(docs) if times is None else times
    groups: dict[str, list[list[Any]]] = {}
    for doc, ts in zip(docs, times):
        pair = [doc.get("id"), doc.get("created_at") if ts is None else ts]
        for dimension in COUNT_DIMENSIONS:
            groups.setdefault(f"{COUNT_PREFIX}{dimension}:{count_key(dimension, doc)}", []).append(pair)
    return [(encode_key(key), to_json_bytes(pairs)) for key, pairs in groups.items()]


def detect_records(docs: list[dict[str, Any]], partitions: list[int], municipality: str,
                   times: list[float | None] | None = None) -> list[tuple[bytes, bytes]]:
    """(key, value) facts records for the spike detector, keyed `detect:<municipality>`: per raw partition
    (`partitions[i]` is where docs[i] was read), {"p": partition, "rows": [fact_row, ...]} oldest first.
    `times`: event_times(docs), when known."""
    times = event_times(docs) if times is None else times
    key = encode_key(DETECT_PREFIX + municipality)
    groups: dict[int, list[tuple[float, dict[str, Any]]]] = {}
    for doc, partition, ts in zip(docs, partitions, times):
        groups.setdefault(partition, []).append((ts or 0.0, doc))
    out = []
    for partition, group in sorted(groups.items()):
        group.sort(key=lambda pair: pair[0])
        rows = [fact_row(doc) for _, doc in group]
        for i in range(0, len(rows), FACTS_PER_RECORD):
            out.append((key, to_json_bytes({"p": partition, "rows": rows[i:i + FACTS_PER_RECORD]})))
    return out


def decode_detect(value: bytes | None) -> tuple[int, list[dict[str, Any]]]:
    """The raw partition and facts (row_fact() objects) of a detector facts record: rows ("rows"), or objects
    ("facts", the form written before rows); ValueError when it is neither."""
    record = _parse_json(value, "detector facts record")
    if not isinstance(record, dict) or not isinstance(record.get("p"), int):
        raise ValueError("detector facts record is not an object with a partition and a facts list")
    rows = record.get("rows")
    if isinstance(rows, list):
        return record["p"], [fact for fact in map(row_fact, rows) if fact is not None]
    facts = record.get("facts")
    if not isinstance(facts, list):
        raise ValueError("detector facts record is not an object with a partition and a facts list")
    return record["p"], [fact for fact in facts if isinstance(fact, dict)]


def dead_letter_value(letter: DeadLetter) -> bytes:
    """A dead letter as the value of a `signals.deadletter` record."""
    return to_json_bytes(letter.to_dict())

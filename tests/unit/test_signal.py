"""The raw signal: parsing and validation reasons."""
from __future__ import annotations

import json

import pytest

from pipeline.core.signal import InvalidSignal, decode_line, validate

GOOD = {"id": "twitter:1", "channel": "twitter", "created_at": "2026-11-20T08:15:00+01:00",
        "text": "Slotlaan al weken dicht", "author": "@piet", "meta": {"lang": "nl"}}


def test_valid_signal_round_trips() -> None:
    signal = validate(GOOD)
    assert signal.id == "twitter:1" and signal.created_at.utcoffset().total_seconds() == 3600
    again = validate(json.loads(json.dumps(signal.to_dict())))
    assert again == signal


def test_z_suffix_is_utc() -> None:
    signal = validate({**GOOD, "created_at": "2026-11-20T07:15:00Z"})
    assert signal.created_at.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("change, reason", [
    ({"text": ""}, "text is empty"),
    ({"text": "   "}, "text is empty"),
    ({"text": 5}, "text must be a string"),
    ({"channel": "telegram"}, "channel is unknown"),
    ({"created_at": "2026-11-20T08:15:00"}, "no UTC offset"),
    ({"created_at": "gisteren"}, "not ISO 8601"),
    ({"id": "facebook:1"}, "must look like '<channel>:<id at the source>'"),
    ({"id": ""}, "id must be a non-empty string"),
    ({"meta": [1]}, "meta must be an object"),
    ({"author": 12}, "author must be a string"),
    ({"text": "x" * 20_001}, "text too long: 20001 characters"),
])
def test_rejections_say_why(change: dict, reason: str) -> None:
    with pytest.raises(InvalidSignal) as info:
        validate({**GOOD, **change})
    assert reason in info.value.reason


def test_missing_fields_are_listed() -> None:
    with pytest.raises(InvalidSignal, match="missing field\\(s\\): created_at, text"):
        validate({"id": "twitter:1", "channel": "twitter"})


def test_decode_line_reasons() -> None:
    with pytest.raises(InvalidSignal, match="invalid JSON"):
        decode_line(b'{"id": ')
    with pytest.raises(InvalidSignal, match="not valid UTF-8"):
        decode_line(b'{"text": "caf\xe9"}')
    with pytest.raises(InvalidSignal, match="must be a JSON object"):
        decode_line(b"[1, 2]")
    with pytest.raises(InvalidSignal, match="record too large"):
        decode_line(json.dumps({**GOOD, "text": "a" * 1_000_000}).encode())
    assert decode_line(json.dumps(GOOD).encode()).text == GOOD["text"]

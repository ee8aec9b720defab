"""The redaction boundary: dead letters, nested meta, URLs, log lines, private files and the pseudonym key."""
from __future__ import annotations

import hashlib
import logging
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.core.private_files import make_private, open_private_append
from pipeline.core.pseudonym_key import key_file_for, resolve_pseudonym_key
from pipeline.core.settings import Settings
from pipeline.core.signal import InvalidSignal, RawSignal, decode_line
from pipeline.enrich import Enricher
from pipeline.enrich.pii.boundary import RedactingLogFilter, dead_letter, redact_value
from pipeline.sinks.sqlite.examples import blank_examples, example_ids
from pipeline.sinks.sqlite.store import SqliteStore

RAW = (b'{"id": "call_note:9", "channel": "call_note", "created_at": "06-12345678 a.b@example.nl", '
       b'"text": "Henk de Vries belt, 3701 AB 12", "author": "henk1956", "meta": {"tel": "0612345678"}}')


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_dead_letter_keeps_the_redacted_record_its_size_and_hash_never_the_raw_line() -> None:
    with pytest.raises(InvalidSignal) as err:
        decode_line(RAW)
    assert "created_at" in err.value.reason and "06" not in err.value.reason and "@" not in err.value.reason
    letter = dead_letter("replay", "line 1", err.value.reason, RAW)
    assert letter.raw_bytes == len(RAW) and letter.raw_sha256 == hashlib.sha256(RAW).hexdigest()
    for value in ("12345678", "a.b@example.nl", "Henk", "Vries", "3701", "henk1956", "0612345678"):
        assert value not in letter.raw and value not in str(letter.to_dict())
    assert '"channel":"call_note"' in letter.raw


def test_a_dead_letter_of_unreadable_bytes_is_redacted_text() -> None:
    raw = b"\xff Ans Visser 0612121212 {"
    letter = dead_letter("x", "line 2", "not valid UTF-8", raw)
    assert "0612121212" not in letter.raw and "Visser" not in letter.raw and letter.raw_bytes == len(raw)


def test_meta_strings_are_redacted_at_any_depth_and_personal_keys_withheld() -> None:
    meta = {"team": "KCC", "results": 3, "callback": True, "contact": {"phone": "0612345678", "note": "bel 0612345678"},
            "list": ["bsn 111222333", {"iban": "NL91ABNA0417164300"}, "mail a@b.nl"], "big": 111222333,
            "link": "https://x.nl/a?email=a@b.nl"}
    clean = redact_value(meta)
    text = str(clean)
    for value in ("0612345678", "111222333", "NL91ABNA0417164300", "a@b.nl"):
        assert value not in text
    assert clean["team"] == "KCC" and clean["results"] == 3 and clean["callback"] is True
    assert clean["link"] == "https://x.nl/a"


def test_the_enricher_redacts_nested_meta_and_url_query_strings(tmp_path: Path) -> None:
    enricher = Enricher(Settings(pseudonym_key="k", store=tmp_path / "s.db"))
    doc = enricher.enrich(RawSignal("call_note:1", "call_note", datetime(2026, 1, 1, tzinfo=timezone.utc),
                                    "Graag terugbellen", url="https://x.nl/m?tel=0612345678#top",
                                    meta={"contact": {"naam": "Pieter de Vries", "tel": "06-12345678"},
                                          "extra": ["IBAN NL91ABNA0417164300"]}))
    assert doc["url"] == "https://x.nl/m"
    for value in ("Pieter", "12345678", "NL91ABNA0417164300"):
        assert value not in str(doc)


def test_the_log_filter_takes_values_out_of_messages() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "rejected %s", ("06-12345678 a@b.nl",), None)
    RedactingLogFilter().filter(record)
    assert "12345678" not in record.getMessage() and "a@b.nl" not in record.getMessage()


def test_store_and_dead_letter_files_are_private(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    store.write(None, None, [], [dead_letter("x", "1", "bad", b"x")])
    for path in tmp_path.iterdir():
        assert mode(path) == 0o600, path
    with open_private_append(tmp_path / "dead.jsonl") as handle:
        handle.write("{}\n")
    assert mode(tmp_path / "dead.jsonl") == 0o600
    loose = tmp_path / "loose"
    loose.write_text("x")
    loose.chmod(0o644)
    make_private(loose)
    assert mode(loose) == 0o600


def test_the_pseudonym_key_is_random_kept_beside_the_store_and_stable(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    store = tmp_path / "var" / "a.db"
    first = resolve_pseudonym_key("", store)
    assert key_file_for(store) == tmp_path / "var" / "a.pseudonym-key"
    assert mode(key_file_for(store)) == 0o600 and len(first) >= 40
    assert resolve_pseudonym_key("", store) == first
    assert resolve_pseudonym_key("", tmp_path / "b.db") != first
    assert resolve_pseudonym_key("configured", store) == "configured"
    assert first not in caplog.text and caplog.text.count(str(key_file_for(store))) == 1


def test_run_enrich_and_worker_settings_give_the_same_pseudonyms(tmp_path: Path) -> None:
    settings = Settings(store=tmp_path / "s.db")
    assert Settings().pseudonym_key == ""
    signal = RawSignal("twitter:1", "twitter", datetime(2026, 1, 1, tzinfo=timezone.utc), "hoi", author="@Henk")
    one, two = Enricher(settings).enrich(signal), Enricher(settings).enrich(signal)
    other = Enricher(Settings(store=tmp_path / "other.db")).enrich(signal)
    assert one["author"] == two["author"] != other["author"]


def test_examples_of_purged_signals_are_blanked() -> None:
    state = {"buckets": [[1.0, 3, {"id": "twitter:1", "text": "oud"}, []], [2.0, 1, {"id": "twitter:2", "text": "nieuw"}]]}
    assert example_ids(state) == {"twitter:1", "twitter:2"}
    assert blank_examples(state, keep={"twitter:2"}) == 1
    assert state["buckets"][0][2]["text"] == "" and state["buckets"][1][2]["text"] == "nieuw"

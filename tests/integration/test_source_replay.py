"""ReplaySource: JSONL and CSV replay, exact resume from the cursor, pacing, and dead letters for bad input."""
from __future__ import annotations

import csv
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, Iterable

import pytest

from pipeline.core.signal import SourceBatch
from pipeline.sources import replay
from pipeline.sources.replay import ReplaySource


def record(i: int, **change: Any) -> dict[str, Any]:
    """A valid raw signal number `i`, with optional changes."""
    base = {"id": f"twitter:{i}", "channel": "twitter", "created_at": f"2026-05-04T10:{i % 60:02d}:00+02:00",
            "text": f"Container {i} in Vollenhove niet geleegd", "author": f"@bewoner{i}"}
    base.update(change)
    return base


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> Path:
    """Write records as JSONL."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def drain(source: ReplaySource, cursor: dict[str, Any] | None = None, limit: int | None = None) -> list[SourceBatch]:
    """Collect batches (at most `limit`), as the runner would."""
    out: list[SourceBatch] = []
    for batch in source.batches(cursor, threading.Event()):
        out.append(batch)
        if limit is not None and len(out) >= limit:
            break
    return out


def ids(batches: Iterable[SourceBatch]) -> list[str]:
    """All signal ids in order."""
    return [s.id for b in batches for s in b.signals]


def test_jsonl_replays_all_in_batches(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "signals.jsonl", (record(i) for i in range(25)))
    batches = drain(ReplaySource(path, batch_size=10))
    assert [len(b.signals) for b in batches] == [10, 10, 5]
    assert ids(batches) == [f"twitter:{i}" for i in range(25)]
    assert batches[-1].cursor["offset"] == path.stat().st_size
    assert all(len(b.received) == len(b.signals) for b in batches)
    assert ReplaySource(path).name == f"replay:{path.resolve()}"


def test_jsonl_resume_after_two_batches_yields_exactly_the_rest(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "signals.ndjson", (record(i) for i in range(23)))
    first = drain(ReplaySource(path, batch_size=5), limit=2)
    rest = drain(ReplaySource(path, batch_size=5), cursor=first[-1].cursor)
    assert ids(first) == [f"twitter:{i}" for i in range(10)]
    assert ids(rest) == [f"twitter:{i}" for i in range(10, 23)]


def test_jsonl_positions_continue_after_resume(tmp_path: Path) -> None:
    lines = [json.dumps(record(i)) for i in range(4)] + ["{broken"]
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    first = drain(ReplaySource(path, batch_size=2), limit=1)
    rest = drain(ReplaySource(path, batch_size=2), cursor=first[0].cursor)
    assert [d.position for b in rest for d in b.dead] == ["line 5"]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """Write a CSV file with the csv module."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


CSV_HEADER = ["id", "channel", "created_at", "text", "author", "url", "meta", "meta_results"]


def csv_row(i: int) -> list[str]:
    """A valid CSV row for a site search."""
    return [f"site_search:{i}", "site_search", f"2026-05-04T08:{i:02d}:00Z", f"paspoort aanvragen {i}", "", "",
            json.dumps({"page": "zoeken"}), str(i % 3)]


def test_csv_replays_with_meta_columns_and_resumes(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "searches.csv", CSV_HEADER, [csv_row(i) for i in range(12)])
    first = drain(ReplaySource(path, batch_size=5), limit=1)
    rest = drain(ReplaySource(path, batch_size=5), cursor=first[0].cursor)
    assert first[0].cursor == {"rows": 5}
    assert ids(first) + ids(rest) == [f"site_search:{i}" for i in range(12)]
    signal = rest[0].signals[0]
    assert signal.meta == {"page": "zoeken", "results": 5 % 3}
    assert signal.author is None and signal.url is None


def test_speed_factor_paces_by_created_at_gaps(tmp_path: Path) -> None:
    times = ["2026-05-04T10:00:00+00:00", "2026-05-04T10:00:02+00:00", "2026-05-04T10:00:04+00:00"]
    path = write_jsonl(tmp_path / "paced.jsonl", (record(i, created_at=t) for i, t in enumerate(times)))
    started = time.monotonic()
    batches = drain(ReplaySource(path, speed=10.0))
    elapsed = time.monotonic() - started
    assert ids(batches) == ["twitter:0", "twitter:1", "twitter:2"]
    received = [t for b in batches for t in b.received]
    assert received[1] - received[0] >= 0.15 and received[2] - received[0] >= 0.35
    assert elapsed >= 0.35


def test_stop_while_waiting_returns_promptly_without_skipping(tmp_path: Path) -> None:
    times = ["2026-05-04T10:00:00+00:00", "2026-05-04T11:00:00+00:00"]
    path = write_jsonl(tmp_path / "slow.jsonl", (record(i, created_at=t) for i, t in enumerate(times)))
    stop = threading.Event()
    timer = threading.Timer(0.7, stop.set)
    timer.start()
    try:
        batches = list(ReplaySource(path, speed=1.0).batches(None, stop))
    finally:
        timer.cancel()
    assert ids(batches) == ["twitter:0"]
    assert any(not b.signals and not b.dead for b in batches), "a heartbeat is sent while waiting"
    rest = drain(ReplaySource(path), cursor=batches[-1].cursor)
    assert ids(rest) == ["twitter:1"]


def test_bad_jsonl_lines_become_dead_letters_and_neighbours_survive(tmp_path: Path) -> None:
    lines = [
        json.dumps(record(1)).encode(),
        b'{"id": "twitter:2", "channel": ',
        json.dumps(record(3, text="caf\u00e9")).encode().replace(b"caf\\u00e9", b"caf\xe9"),
        json.dumps({k: v for k, v in record(4).items() if k != "text"}).encode(),
        json.dumps(record(5, channel="telegram", id="telegram:5")).encode(),
        json.dumps(record(6, text="x" * 1_000_000)).encode(),
        json.dumps(record(7, text="y" * 25_000)).encode(),
        json.dumps(record(8)).encode(),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n" + json.dumps(record(9)).encode())  # last line has no newline
    batches = drain(ReplaySource(path, batch_size=3))
    assert ids(batches) == ["twitter:1", "twitter:8", "twitter:9"]
    dead = {d.position: d.reason for b in batches for d in b.dead}
    assert "invalid JSON" in dead["line 2"]
    assert "not valid UTF-8" in dead["line 3"]
    assert "missing field(s): text" in dead["line 4"]
    assert "channel is unknown" in dead["line 5"]
    assert "record too large" in dead["line 6"]
    assert "text too long: 25000 characters" in dead["line 7"]
    assert all(d.source == f"replay:{path.resolve()}" for b in batches for d in b.dead)
    assert batches[-1].cursor["offset"] == path.stat().st_size


def test_bad_csv_rows_become_dead_letters(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    good = [csv_row(1), csv_row(2)]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        writer.writerow(good[0])
        writer.writerow(["site_search:x", "site_search"])  # too few columns
        writer.writerow(["site_search:y", "site_search", "2026-05-04T08:00:00Z", "", "", "", "", "1"])
        writer.writerow(["fax:z", "fax", "2026-05-04T08:00:00Z", "hallo", "", "", "", "1"])
        writer.writerow(["site_search:m", "site_search", "2026-05-04T08:00:00Z", "grofvuil", "", "", "{oops", "1"])
        writer.writerow(["site_search:big", "site_search", "2026-05-04T08:00:00Z", "z" * 1_000_000, "", "", "", "1"])
    with open(path, "ab") as handle:
        handle.write(b"site_search:u,site_search,2026-05-04T08:00:00Z,caf\xe9,,,,1\r\n")
    with open(path, "a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(good[1])
    batches = drain(ReplaySource(path))
    assert ids(batches) == ["site_search:1", "site_search:2"]
    dead = {d.position: d.reason for b in batches for d in b.dead}
    assert "2 fields, the header has 8" in dead["row 2"]
    assert dead["row 3"] == "text is empty"
    assert "channel is unknown" in dead["row 4"]
    assert "meta column is not valid JSON" in dead["row 5"]
    # csv's field limit is process-wide: depending on what ran before, the parser or validation refuses it
    assert "record too large" in dead["row 6"] or "text too long: 1000000 characters" in dead["row 6"]
    assert dead["row 7"] == "not valid UTF-8"


def test_missing_file_raises_a_clear_error(tmp_path: Path) -> None:
    source = ReplaySource(tmp_path / "nope.jsonl")
    with pytest.raises(FileNotFoundError, match="replay file not found: .*nope.jsonl"):
        next(source.batches(None, threading.Event()))


def test_unsupported_extension_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="expected a .jsonl"):
        ReplaySource(tmp_path / "data.xlsx")


def test_file_deleted_while_reading_is_read_to_the_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(replay, "DELETION_CHECK_SECONDS", 0.0)
    path = write_jsonl(tmp_path / "vanishing.jsonl", (record(i) for i in range(30)))
    caplog.set_level(logging.WARNING, logger="pipeline.sources.replay")
    seen: list[str] = []
    for number, batch in enumerate(ReplaySource(path, batch_size=10).batches(None, threading.Event())):
        seen.extend(s.id for s in batch.signals)
        if number == 0:
            path.unlink()
    assert seen == [f"twitter:{i}" for i in range(30)]
    assert "deleted or replaced while being read" in caplog.text


def test_crash_and_restart_through_the_store_loses_and_repeats_nothing(tmp_path: Path, store_path: Path) -> None:
    from pipeline.sinks.sqlite.store import SqliteStore

    lines = [json.dumps(record(i)) for i in range(40)]
    lines[17] = "not json"
    path = tmp_path / "signals.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = SqliteStore(store_path)
    source = ReplaySource(path, batch_size=7)
    for number, batch in enumerate(source.batches(store.load_cursor(source.name), threading.Event())):
        store.write(source.name, batch.cursor, [s.to_dict() for s in batch.signals], batch.dead)
        if number == 2:
            break  # the process dies here
    store.close()
    store = SqliteStore(store_path)
    restarted = ReplaySource(path, batch_size=7)
    for batch in restarted.batches(store.load_cursor(restarted.name), threading.Event()):
        store.write(restarted.name, batch.cursor, [s.to_dict() for s in batch.signals], batch.dead)
    assert store.count() == 39
    assert [d["position"] for d in store.dead_letters()] == ["line 18"]
    store.close()

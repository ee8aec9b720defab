"""The access-log source: searches from common/combined log lines, dead letters for bad lines, resumable cursor."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from pipeline.apps.webteam.review import GroupFilter, ReviewService
from pipeline.enrich.search_query import analyse_query
from pipeline.sinks.sqlite.store import SqliteStore
from pipeline.sources.access_log import MAX_LINE_BYTES, AccessLogSource, LogLineError, SearchLogConfig, parse_log_line

COMBINED = ('203.0.113.7 - - [10/Oct/2024:13:55:36 +0200] "GET /zoeken?q=parkeer+vergunning&results=0&cat=parkeren '
            'HTTP/1.1" 200 2326 "https://www.example.nl/" "Mozilla/5.0 (X11; Linux)"')
LINES = [
    COMBINED,
    '203.0.113.8 - jan [10/Oct/2024:13:56:00 +0200] "GET /zoeken/?q=pasp%C3%B3ort&results=12 HTTP/1.1" 200 100',
    "dit is geen logregel",
    '203.0.113.9 - - [10/Oct/2024:13:57:00 +0200] "GET /contact HTTP/1.1" 200 100 "-" "Mozilla"',
    '203.0.113.9 - - [10/Oct/2024:13:57:01 +0200] "GET /zoeken?q=afval HTTP/1.1" 200 100 "-" "Googlebot/2.1"',
    '203.0.113.9 - - [10/Oct/2024:13:57:02 +0200] "GET /zoeken?q=afval HTTP/1.1" 500 100 "-" "Mozilla"',
    '203.0.113.9 - - [10/Oct/2024:13:57:03 +0200] "POST /zoeken?q=afval HTTP/1.1" 200 100 "-" "Mozilla"',
    '203.0.113.9 - - [10/Oct/2024:13:57:04 +0200] "GET /zoeken?q= HTTP/1.1" 200 100 "-" "Mozilla"',
    '203.0.113.9 - - [31/Feb/2024:13:57:00 +0200] "GET /zoeken?q=afval HTTP/1.1" 200 100 "-" "Mozilla"',
    '203.0.113.9 - - [10/Oct/2024:13:58:00 +0000] "-" 408 0 "-" "-"',
    '203.0.113.9 - - [10/Oct/2024:13:59:00 +0000] "GET /zoeken?q=grof+vuil&results=x HTTP/2.0" 304 0 "-" "Mozilla" 0.004',
    "",
]


def write_log(path: Path, lines: list[str], newline_at_end: bool = True) -> Path:
    """Write log lines to `path`."""
    path.write_text("\n".join(lines) + ("\n" if newline_at_end else ""), encoding="utf-8")
    return path


def read_all(source: AccessLogSource, cursor: dict | None = None) -> tuple[list, list, dict | None]:
    """Read the source to its end: signals, dead letters, last cursor."""
    signals, dead, last = [], [], cursor
    for batch in source.batches(cursor, threading.Event()):
        signals += batch.signals
        dead += batch.dead
        last = batch.cursor
    return signals, dead, last


@pytest.fixture
def config() -> SearchLogConfig:
    """Search path /zoeken with q, results and cat parameters."""
    return SearchLogConfig(search_paths={"/zoeken": "q"}, results_param="results", category_param="cat")


def test_parse_combined_line() -> None:
    entry = parse_log_line(COMBINED)
    assert entry is not None
    assert (entry.method, entry.status) == ("GET", 200)
    assert entry.target.startswith("/zoeken?q=parkeer")
    assert entry.time.isoformat() == "2024-10-10T13:55:36+02:00"
    assert entry.agent.startswith("Mozilla")
    with pytest.raises(LogLineError):
        parse_log_line("127.0.0.1 - - [10/Oct/2024:13:55:36] \"GET / HTTP/1.1\" 200 1")


def test_searches_are_extracted_and_the_rest_skipped(tmp_path: Path, config: SearchLogConfig) -> None:
    source = AccessLogSource(write_log(tmp_path / "access.log", LINES), config, batch_size=4)
    signals, dead, cursor = read_all(source)
    assert [(s.text, s.meta) for s in signals] == [
        ("parkeer vergunning", {"source": "access_log", "results": 0, "category": "parkeren"}),
        ("paspóort", {"source": "access_log", "results": 12}),
        ("grof vuil", {"source": "access_log"}),
    ]
    assert signals[0].created_at.isoformat() == "2024-10-10T13:55:36+02:00"
    assert all(s.channel == "site_search" and s.id.startswith("site_search:") for s in signals)
    assert all(s.author is None for s in signals)  # no IP address or user name is kept
    assert [d.reason for d in dead] == ["not in common or combined log format",
                                       "impossible time '31/Feb/2024:13:57:00 +0200': day is out of range for month"]
    assert dead[0].raw == "dit is geen logregel"
    assert cursor is not None and cursor["offset"] == (tmp_path / "access.log").stat().st_size


def test_resume_from_cursor_reads_only_new_lines(tmp_path: Path, config: SearchLogConfig) -> None:
    path = write_log(tmp_path / "access.log", LINES[:2])
    source = AccessLogSource(path, config)
    first, _, cursor = read_all(source)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(LINES[10] + "\n")
    again, _, cursor2 = read_all(source, cursor)
    assert [s.text for s in first] == ["parkeer vergunning", "paspóort"]
    assert [s.text for s in again] == ["grof vuil"]
    assert cursor2["offset"] > cursor["offset"]
    replay, _, _ = read_all(source, None)
    assert [s.id for s in replay[:2]] == [s.id for s in first]  # ids are stable across re-reads


def test_rotated_or_truncated_log_is_read_from_the_start(tmp_path: Path, config: SearchLogConfig) -> None:
    path = write_log(tmp_path / "access.log", LINES[:2])
    source = AccessLogSource(path, config)
    _, _, cursor = read_all(source)
    write_log(path, [LINES[10]])  # shorter file, same name
    signals, _, _ = read_all(source, cursor)
    assert [s.text for s in signals] == ["grof vuil"]
    signals, _, _ = read_all(source, {"offset": 5, "inode": os.stat(path).st_ino + 1})
    assert [s.text for s in signals] == ["grof vuil"]


def test_partial_last_line_waits_when_following(tmp_path: Path, config: SearchLogConfig) -> None:
    path = write_log(tmp_path / "access.log", [LINES[0], LINES[1]], newline_at_end=False)
    stop = threading.Event()
    source = AccessLogSource(path, config, follow=True, poll_seconds=0.01)
    batches = source.batches(None, stop)
    first = next(batches)
    assert [s.text for s in first.signals] == ["parkeer vergunning"]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n")
    texts = []
    for batch in batches:
        texts += [s.text for s in batch.signals]
        if texts:
            stop.set()
    assert texts == ["paspóort"]
    not_following, _, _ = read_all(AccessLogSource(write_log(tmp_path / "b.log", [LINES[1]], False), config))
    assert [s.text for s in not_following] == ["paspóort"]


def test_overlong_line_is_a_dead_letter(tmp_path: Path, config: SearchLogConfig) -> None:
    long_line = '1.2.3.4 - - [10/Oct/2024:13:55:36 +0200] "GET /zoeken?q=' + "a" * (MAX_LINE_BYTES + 10) + ' HTTP/1.1" 200 1'
    signals, dead, _ = read_all(AccessLogSource(write_log(tmp_path / "a.log", [long_line, LINES[1]]), config))
    assert [s.text for s in signals] == ["paspóort"]
    assert len(dead) == 1 and "longer than" in dead[0].reason and len(dead[0].raw) <= 4096


def test_missing_file_is_logged_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    signals, dead, cursor = read_all(AccessLogSource(tmp_path / "missing.log"))
    assert (signals, dead, cursor) == ([], [], None)
    assert "cannot open" in caplog.text


def test_log_to_store_to_review_end_to_end(tmp_path: Path, store_path: Path, config: SearchLogConfig) -> None:
    lines = [f'10.0.0.{i} - - [10/Oct/2024:1{i}:00:00 +0200] "GET /zoeken?q={q}&results=0 HTTP/1.1" 200 1 "-" "Mozilla"'
             for i, q in enumerate(["parkeervergunnig", "parkeer+vergunning", "Parkeervergunning"])]
    source = AccessLogSource(write_log(tmp_path / "access.log", lines), config)
    store = SqliteStore(store_path)
    for batch in source.batches(store.load_cursor(source.name), threading.Event()):
        docs = [{**s.to_dict(), "query": analyse_query(s.text, s.meta)} for s in batch.signals]
        store.write(source.name, batch.cursor, docs, batch.dead)
    assert store.load_cursor(source.name)["offset"] == (tmp_path / "access.log").stat().st_size
    store.close()
    result = ReviewService(store_path).groups(GroupFilter(window="7d"))
    [group] = result["groups"]
    assert (group["group"], group["zero_results"], group["variant_count"]) == ("parkeervergunning", 3, 3)

"""FolderSource: settled files only, exactly once across restarts, flexible call-note mapping, vanished files."""
from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.signal import SourceBatch, validate
from pipeline.sources.call_note_export import parse_flag, parse_note_time
from pipeline.sources.folder import FolderSource

DUTCH_CSV = (
    "Notitie_ID;Datum;Notitie;Medewerker;Team;Terugbellen;Doorgezet naar;Wijk\n"
    "N-1;2024-06-11 14:03;mw belt, container niet geleegd, verzoek terugbellen;kcc-014;KCC;ja;RMN;Vollenhove\n"
    "N-2;11-06-2024 14:10;dhr. Jansen belt over WOZ aanslag;kcc-020;KCC;nee;Belastingen;\n"
)


def run_once(directory: Path, cursor: dict[str, Any] | None = None, **options: Any) -> list[SourceBatch]:
    """Run a folder source in once-mode to the end."""
    options.setdefault("settle_seconds", 0.0)
    options.setdefault("poll_interval", 0.02)
    return list(FolderSource(directory, once=True, **options).batches(cursor, threading.Event()))


def signals_of(batches: list[SourceBatch]) -> list[Any]:
    """All signals of the batches."""
    return [s for b in batches for s in b.signals]


def test_dutch_semicolon_csv_is_mapped(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text(DUTCH_CSV, encoding="utf-8")
    batches = run_once(tmp_path)
    first, second = signals_of(batches)
    assert first.id == "call_note:N-1" and first.channel == "call_note"
    assert first.created_at == datetime(2024, 6, 11, 12, 3, tzinfo=timezone.utc)  # CEST is UTC+2
    assert first.author == "kcc-014"
    assert first.meta == {"team": "KCC", "callback": True, "forwarded_to": "RMN", "neighbourhood": "Vollenhove"}
    assert second.meta == {"team": "KCC", "callback": False, "forwarded_to": "Belastingen"}
    assert second.created_at == datetime(2024, 6, 11, 12, 10, tzinfo=timezone.utc)
    assert validate(json.loads(json.dumps(first.to_dict()))) == first
    assert batches[-1].cursor["current"] is None and "export.csv" in batches[-1].cursor["done"]


def test_json_exports_array_and_notes_object(tmp_path: Path) -> None:
    notes = [{"Note_ID": 7, "Timestamp": "2024-06-11T14:03:00+02:00", "Text": "beller vraagt naar paspoort",
              "Agent": "kcc-3", "Callback": "true", "Forwarded_to": "Burgerzaken"},
             {"created_at": "2024-06-11T12:05:00Z", "omschrijving": "melding lantaarnpaal kapot", "wijk": "Centrum"}]
    (tmp_path / "a.json").write_text(json.dumps(notes), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({"notes": [notes[1]]}), encoding="utf-8")
    (tmp_path / "c.jsonl").write_text(json.dumps(notes[0]) + "\n\n" + json.dumps(notes[1]) + "\n", encoding="utf-8")
    signals = signals_of(run_once(tmp_path))
    by_file: dict[str, list[Any]] = {}
    assert len(signals) == 5
    for signal in signals:
        by_file.setdefault(signal.text, []).append(signal)
    paspoort = by_file["beller vraagt naar paspoort"][0]
    assert paspoort.id == "call_note:7" and paspoort.meta == {"callback": True, "forwarded_to": "Burgerzaken"}
    lamp = by_file["melding lantaarnpaal kapot"]
    content = json.dumps(notes[1], sort_keys=True, ensure_ascii=False)
    expected = "call_note:" + hashlib.sha1(f"a.json\n{content}".encode()).hexdigest()[:16]
    assert expected in {s.id for s in lamp}
    assert len({s.id for s in lamp}) == 3, "the id without an id field depends on the file name"
    assert all(s.meta == {"neighbourhood": "Centrum"} for s in lamp)


def test_half_written_file_is_not_read_early(tmp_path: Path) -> None:
    path = tmp_path / "live.csv"
    path.write_text(DUTCH_CSV.splitlines()[0] + "\n" + DUTCH_CSV.splitlines()[1] + "\n", encoding="utf-8")
    source = FolderSource(tmp_path, settle_seconds=1.0, poll_interval=0.05)
    stop = threading.Event()
    batches = source.batches(None, stop)
    early = [next(batches) for _ in range(3)]
    assert not signals_of(early), "a file that changed less than settle_seconds ago must wait"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(DUTCH_CSV.splitlines()[2] + "\n")
    got: list[Any] = []
    for batch in batches:
        got.extend(batch.signals)
        if got:
            stop.set()
    assert [s.id for s in got] == ["call_note:N-1", "call_note:N-2"]


def test_exactly_once_across_restart_mid_file(tmp_path: Path) -> None:
    rows = "\n".join(f"{i},2024-06-1{i % 3} 09:0{i % 10},notitie {i}" for i in range(7))
    (tmp_path / "one.csv").write_text("id,datum,tekst\n" + rows + "\n", encoding="utf-8")
    (tmp_path / "two.csv").write_text("id,datum,tekst\n" + rows.replace("notitie", "tweede") + "\n",
                                      encoding="utf-8")
    source = FolderSource(tmp_path, settle_seconds=0.0, poll_interval=0.02, once=True, batch_size=3)
    first = source.batches(None, threading.Event())
    taken: list[SourceBatch] = []
    for batch in first:
        taken.append(batch)
        if batch.signals:
            break
    first.close()  # crash after one batch: the cursor says 3 rows of the first file are done
    cursor = json.loads(json.dumps(taken[-1].cursor))
    assert cursor["current"]["rows"] == 3
    rest = run_once(tmp_path, cursor, batch_size=3)
    texts = [s.text for s in signals_of(taken) + signals_of(rest)]
    assert sorted(texts) == sorted([f"notitie {i}" for i in range(7)] + [f"tweede {i}" for i in range(7)])
    final = rest[-1].cursor
    assert set(final["done"]) == {"one.csv", "two.csv"} and final["current"] is None
    assert not signals_of(run_once(tmp_path, final)), "a restart with the final cursor reads nothing again"
    (tmp_path / "three.jsonl").write_text(json.dumps({"id": "x", "datum": "2024-06-12 10:00",
                                                       "tekst": "nieuw"}) + "\n", encoding="utf-8")
    assert [s.id for s in signals_of(run_once(tmp_path, final))] == ["call_note:x"]


def test_hidden_partial_and_other_files_are_ignored(tmp_path: Path) -> None:
    for name in (".hidden.csv", "a.csv.tmp", "b.csv.part", "c.json.partial", "d.csv~", "notes.txt"):
        (tmp_path / name).write_text(DUTCH_CSV, encoding="utf-8")
    batches = run_once(tmp_path)
    assert not signals_of(batches) and not [d for b in batches for d in b.dead]


def test_broken_rows_and_files_become_dead_letters(tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text(
        "id,datum,tekst\n1,2024-06-11 09:00,goed\n2,2024-06-11 09:00\n3,gisteren,slechte tijd\n4,2024-06-11 09:00,\n"
        "5,2024-06-11 09:05,ook goed\n", encoding="utf-8")
    (tmp_path / "broken.json").write_text('[{"tekst": "x"', encoding="utf-8")
    (tmp_path / "wrong.json").write_text('{"items": []}', encoding="utf-8")
    batches = run_once(tmp_path)
    assert sorted(s.text for s in signals_of(batches)) == ["goed", "ook goed"]
    dead = {d.position: d.reason for b in batches for d in b.dead}
    assert "2 fields, the header has 3" in dead["rows.csv row 2"]
    assert "the time cannot be read" in dead["rows.csv row 3"]
    assert "no note text" in dead["rows.csv row 4"]
    assert "invalid JSON" in dead["broken.json file"]
    assert "array of notes" in dead["wrong.json file"]


def test_file_that_vanishes_before_reading_gives_one_dead_letter(tmp_path: Path) -> None:
    path = tmp_path / "gone.csv"
    path.write_text(DUTCH_CSV, encoding="utf-8")
    (tmp_path / "stays.csv").write_text(DUTCH_CSV.replace("N-", "S-"), encoding="utf-8")
    stop = threading.Event()
    batches = FolderSource(tmp_path, settle_seconds=30.0, poll_interval=0.02).batches(None, stop)
    next(batches)
    path.unlink()
    dead = []
    for _ in range(5):
        dead.extend(d for d in next(batches).dead)
    stop.set()
    assert [(d.position, d.reason) for d in dead] == [("gone.csv", "file vanished before it could be read")]


def test_missing_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="watched folder not found"):
        next(FolderSource(tmp_path / "absent").batches(None, threading.Event()))


def test_separate_date_and_time_columns(tmp_path: Path) -> None:
    (tmp_path / "kcc.csv").write_text("Datum;Tijd;Omschrijving\n11-06-2024;14:03;beller vraagt naar WOZ\n",
                                      encoding="utf-8")
    (signal,) = signals_of(run_once(tmp_path))
    assert signal.created_at == datetime(2024, 6, 11, 12, 3, tzinfo=timezone.utc)
    assert signal.id.startswith("call_note:") and len(signal.id) == len("call_note:") + 16


def test_flags_and_local_times() -> None:
    assert [parse_flag(v) for v in ("ja", "Nee", "1", "0", "true", "FALSE", "misschien")] == \
        [True, False, True, False, True, False, None]
    winter = parse_note_time("2024-01-15 09:30")
    assert winter.utcoffset().total_seconds() == 3600
    assert parse_note_time("2024-06-11T14:03:00+00:00").hour == 14


def slow_export(path: Path, rows: list[str], pause: float, done: threading.Event) -> None:
    """Write a CSV the way a slow exporter does: buffered pieces that end mid-row, with pauses in between."""
    text = "Datum;Team;Notitie\n" + "".join(rows)
    cut = [i for i in range(len(text)) if text[i] == "\n"]
    pieces, start = [], 0
    for _index, end in enumerate(cut[1::4]):  # after every 4th row, plus half of the next one
        stop = min(len(text), end + 1 + 25)
        pieces.append(text[start:stop])
        start = stop
    pieces.append(text[start:])
    with open(path, "w", encoding="utf-8") as handle:
        for piece in pieces:
            handle.write(piece)
            handle.flush()
            done.wait(pause)
    done.set()


def test_slowly_written_export_gives_exactly_its_notes(tmp_path: Path) -> None:
    """An export without an id column, written in pieces with pauses longer than the settle time, yields its 20
    notes and no truncated extra ones (each note's id is derived from its content)."""
    rows = [f"2024-06-11 09:{i:02d};KCC;beller {i} vraagt naar de ophaaldag van het grofvuil in de wijk\n"
            for i in range(20)]
    finished = threading.Event()  # never set: a plain wait
    writer = threading.Thread(target=slow_export, args=(tmp_path / "export.csv", rows, 0.6, threading.Event()))
    source = FolderSource(tmp_path, settle_seconds=0.2, poll_interval=0.05)
    stop = threading.Event()
    got: list[Any] = []

    def consume() -> None:
        for batch in source.batches(None, stop):
            got.extend(batch.signals)

    reader = threading.Thread(target=consume)
    writer.start()
    reader.start()
    writer.join()
    finished.wait(2.5)  # the final version settles and is read
    stop.set()
    reader.join(10)
    assert len({s.id for s in got}) == 20, sorted({s.text for s in got})
    assert all(s.text.endswith("in de wijk") for s in got)


def test_repeated_id_is_an_update_counted_and_logged_without_content(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    """A note id seen before (same file or an earlier one) is counted as an update; the log names no content."""
    header, first, second = DUTCH_CSV.splitlines()
    (tmp_path / "a.csv").write_text(f"{header}\n{first}\n{second}\n{first.replace('mw belt', 'mw belt opnieuw')}\n",
                                    encoding="utf-8")
    source = FolderSource(tmp_path, once=True, settle_seconds=0.0, poll_interval=0.02)
    with caplog.at_level("DEBUG", logger="pipeline.sources.folder"):
        signals = signals_of(list(source.batches(None, threading.Event())))
    assert [s.id for s in signals] == ["call_note:N-1", "call_note:N-2", "call_note:N-1"]
    assert source.updates == 1
    assert "3 notes (1 of them updates of notes seen before)" in caplog.text
    assert "container" not in caplog.text and "N-1" not in caplog.text

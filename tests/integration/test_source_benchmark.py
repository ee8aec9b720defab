"""Throughput of the sources, printed (run with -s to see the figures); asserts only correctness, never speed."""
from __future__ import annotations

import csv
import json
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from pipeline.sources.demo.generator import generate, write_jsonl
from pipeline.sources.demo.rhythm import LOCAL_ZONE
from pipeline.sources.folder import FolderSource
from pipeline.sources.replay import ReplaySource

START = datetime(2026, 3, 2, 0, 0, tzinfo=LOCAL_ZONE)
COUNT = 10_000


def _replay_rate(path: Path) -> tuple[int, float]:
    """Signals read and signals per second for one full replay of `path`."""
    started = time.perf_counter()
    count = sum(len(b.signals) for b in ReplaySource(path).batches(None, threading.Event()))
    return count, count / (time.perf_counter() - started)


def test_benchmark_demo_generation_and_replay(tmp_path: Path) -> None:
    started = time.perf_counter()
    signals = generate(n=COUNT, seed=1, start=START)
    generation = COUNT / (time.perf_counter() - started)
    jsonl = tmp_path / "bench.jsonl"
    write_jsonl(jsonl, signals)
    csv_path = tmp_path / "bench.csv"
    with open(csv_path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "channel", "created_at", "text", "author", "url", "meta"])
        for s in signals:
            writer.writerow([s.id, s.channel, s.created_at.isoformat(), s.text, s.author or "", s.url or "",
                             json.dumps(s.meta, ensure_ascii=False)])
    jsonl_count, jsonl_rate = _replay_rate(jsonl)
    csv_count, csv_rate = _replay_rate(csv_path)
    assert jsonl_count == csv_count == COUNT
    print(f"\ndemo generate: {generation:,.0f} signals/s; replay JSONL: {jsonl_rate:,.0f}/s; "
          f"replay CSV: {csv_rate:,.0f}/s ({COUNT} signals)")


def test_benchmark_folder_exports(tmp_path: Path) -> None:
    notes = [s for s in generate(n=COUNT, seed=2, start=START + timedelta(hours=8)) if s.channel == "call_note"]
    for part in range(4):
        with open(tmp_path / f"export-{part}.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(["Notitie_ID", "Datum", "Notitie", "Medewerker", "Team", "Terugbellen", "Wijk"])
            for note in notes[part::4]:
                writer.writerow([note.id.split(":", 1)[1], note.created_at.strftime("%Y-%m-%d %H:%M"), note.text,
                                 note.author, note.meta["team"], "ja" if note.meta["callback"] else "nee",
                                 note.meta.get("neighbourhood", "")])
    started = time.perf_counter()
    batches = list(FolderSource(tmp_path, settle_seconds=0.0, poll_interval=0.01, once=True)
                   .batches(None, threading.Event()))
    elapsed = time.perf_counter() - started
    count = sum(len(b.signals) for b in batches)
    assert count == len(notes) and not [d for b in batches for d in b.dead]
    print(f"\nfolder: {count} call notes from 4 CSV exports in {elapsed:.2f} s "
          f"({count / elapsed:,.0f}/s including one poll interval)")

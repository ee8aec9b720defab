"""SIGKILL the runner mid-stream, restart it, and the store holds every signal exactly once."""
from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from pipeline.sources.demo.generator import generate_labelled

N = 20_000


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM signals").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_sigkill_then_restart_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "signals.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        expected_ids = set()
        for sig, _, _ in generate_labelled(n=N, seed=9):
            expected_ids.add(sig.id)
            fh.write(json.dumps(sig.to_dict(), ensure_ascii=False) + "\n")
        fh.write("{broken\n")
    db = tmp_path / "store.db"
    cmd = [sys.executable, "-m", "pipeline", "--log-level", "WARNING", "run", "--source", f"replay:{path}",
           "--store", str(db), "--no-dashboard", "--exit-when-done"]
    env = {**os.environ, "STADSSIGNAAL_BATCH_SIZE": "200"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _count(db) < 1000 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    at_kill = _count(db)
    assert 0 < at_kill < N, f"the kill must land mid-stream (stored {at_kill} of {N})"

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM signals").fetchone()[0] == N
        ids = {row[0] for row in conn.execute("SELECT id FROM signals")}
        assert conn.execute("SELECT COUNT(*) FROM deadletters").fetchone()[0] == 1
    assert ids == expected_ids
    processed = int(re.search(r"Processed (\d+) signals", done.stderr).group(1))
    assert processed == N - at_kill, "the restart resumed from the committed cursor, redoing nothing"

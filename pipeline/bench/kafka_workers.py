"""Run Faust workers as child processes and watch what they did (for tests and the benchmark)."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Mapping

from pipeline.runners.kafka.progress import read_progress

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to send SIGTERM when the parent dies (no orphaned workers)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class WorkerProcess:
    """`python -m pipeline worker` in a child process with its own progress file and log.

    The child gets SIGTERM if this process dies; STADSSIGNAAL_WORKER_LOGLEVEL sets its Faust log level.
    """

    def __init__(self, name: str, workdir: Path, env: Mapping[str, str], extra_args: tuple[str, ...] = ()) -> None:
        """A worker named `name` with its files in `workdir`, started with `env`."""
        self.name = name
        self.workdir = Path(workdir)
        self.progress_file = self.workdir / f"{name}.progress.json"
        self.log_file = self.workdir / f"{name}.log"
        self.env = dict(env)
        self.extra_args = extra_args
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "WorkerProcess":
        """Start the worker; its stdout and stderr go to `log_file`."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.progress_file.unlink(missing_ok=True)
        loglevel = os.environ.get("STADSSIGNAAL_WORKER_LOGLEVEL", "warning")
        command = [sys.executable, "-m", "pipeline", "--log-level", "WARNING", "worker",
                   "--loglevel", loglevel, "--progress-file", str(self.progress_file), *self.extra_args]
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            cwd=str(self.workdir),
                                            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        return self

    @property
    def alive(self) -> bool:
        """True while the child runs."""
        return self.process is not None and self.process.poll() is None

    def progress(self) -> dict[str, Any]:
        """The worker's progress file (empty dict before it wrote one)."""
        return read_progress(self.progress_file) or {}

    def partitions(self, topic: str) -> list[int]:
        """The partitions of `topic` the worker last reported owning."""
        return list(self.progress().get("partitions", {}).get(topic, []))

    def count(self, name: str) -> int:
        """One of the worker's counters (enriched, dead, stored, counted, alerts)."""
        return int(self.progress().get("counts", {}).get(name, 0))

    def cpu_seconds(self) -> float:
        """User plus system CPU time the worker has used so far (Linux /proc; 0.0 when unavailable)."""
        if not self.alive:
            return 0.0
        assert self.process is not None
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return 0.0

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no final commit (a crash)."""
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def terminate(self) -> None:
        """Ask for a clean shutdown (SIGTERM) without waiting."""
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM and wait for a clean exit; SIGKILL after `timeout`. Returns the exit code."""
        if self.process is None:
            return None
        if self.alive:
            self.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the worker's log, for failure messages."""
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""


def stop_all(workers: list[WorkerProcess], timeout: float = 20.0) -> None:
    """Stop several workers at once (one by one, each departure would make the others rebalance first)."""
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.stop(timeout)


def worker_env(broker: str, store: Path, partitions: int, **extra: str) -> dict[str, str]:
    """Environment for a worker child: broker, SQLite sink, partitions, short batches (group timings: the defaults)."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update({
        "STADSSIGNAAL_KAFKA_BROKER": broker,
        "STADSSIGNAAL_KAFKA_SINK": "sqlite",
        "STADSSIGNAAL_KAFKA_SQLITE_PATH": str(store),
        "STADSSIGNAAL_KAFKA_PARTITIONS": str(partitions),
        "STADSSIGNAAL_KAFKA_BATCH_SECONDS": "0.2",
        "STADSSIGNAAL_KAFKA_LEADER_SYNC_DELAY": "1.0",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds passed; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def stored_ids(store: Path) -> list[str]:
    """Every signal id in a SQLite store (empty when the store does not exist yet)."""
    if not Path(store).exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)
        try:
            return [row[0] for row in conn.execute("SELECT id FROM signals")]
        finally:
            conn.close()
    except sqlite3.Error:
        return []


def stored_count(store: Path) -> int:
    """How many signals a SQLite store holds (0 when it does not exist yet)."""
    if not Path(store).exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM signals").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def replay(settings: Any, path: Path, cursor: Path) -> int:
    """Send a JSONL file to signals.raw with the replay connector; returns how many signals it sent."""
    from pipeline.runners.kafka.connector import Connector, CursorFile, new_producer
    from pipeline.sources.replay import ReplaySource

    producer = new_producer(settings)
    try:
        return Connector(ReplaySource(path, batch_size=500), producer, settings, CursorFile(cursor)).run().signals
    finally:
        producer.close()

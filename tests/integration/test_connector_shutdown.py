"""SIGTERM stops a connector promptly and cleanly, even while it waits for a rate-limit reset."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from fakes.twitter_api import SEARCH, FakeTwitter, Reply, make_tweet
from pipeline.sources.connectors.status import read_status

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import signal, sys, threading
    from pipeline.runners.local import LocalRunner
    from pipeline.sinks.sqlite.sink import SqliteSink
    from pipeline.sources.connectors.settings import TwitterSettings
    from pipeline.sources.connectors.status import StatusRecorder
    from pipeline.sources.connectors.twitter import TwitterSearchSource

    class Echo:
        def enrich(self, raw): return raw.to_dict()
        def enrich_many(self, raws): return [r.to_dict() for r in raws]

    url, store_path = sys.argv[1], sys.argv[2]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    settings = TwitterSettings(bearer_token="good-token", api_base=url, municipality="Zeist", max_results=10,
                               poll_interval_seconds=0.2, rate_limit_max_wait_seconds=600)
    source = TwitterSearchSource(settings, status=StatusRecorder(store_path))
    LocalRunner(source, SqliteSink(store_path).open(), Echo()).run(stop)
    print("stopped cleanly", flush=True)
""")


def stored(path: Path) -> int:
    """Rows in the signals table (0 while the store is not created yet)."""
    try:
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT COUNT(*) FROM signals").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_sigterm_during_a_rate_limit_wait(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    with FakeTwitter() as fake:
        fake.tweets.extend(make_tweet(i, f"tweet {i} over Zeist") for i in range(1, 4))
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        process = subprocess.Popen([sys.executable, "-c", SCRIPT, fake.url, str(store)], cwd=REPO, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 20
            while stored(store) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert stored(store) == 3
            reset = str(int(time.time()) + 600)
            fake.script(SEARCH, *[Reply(429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": reset})] * 3)
            while not any(r.last_error and "rate limit" in r.last_error for r in read_status(store)):
                assert time.monotonic() < deadline, "the connector never hit the rate limit"
                time.sleep(0.05)
            calls_before = len(fake.calls(SEARCH))
            time.sleep(0.5)
            assert len(fake.calls(SEARCH)) == calls_before  # it waits for the reset instead of retrying
            sent = time.monotonic()
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=10)
            took = time.monotonic() - sent
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 0, err
    assert "stopped cleanly" in out
    print(f"\nSIGTERM to exit while waiting for a rate-limit reset: {took:.2f} s")
    with sqlite3.connect(store) as conn:
        (cursor,) = conn.execute("SELECT cursor FROM cursors WHERE source='twitter-search'").fetchone()
    assert '"since_id": "3"' in cursor

"""Push endpoints as Kafka connectors: the site-search beacon and the call-note ingest, over real TCP."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fakes.kafka_bed import KafkaTestBed, consume_topic, kafka_bed_fixture  # noqa: E402,F401


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(args: list[str], bed: KafkaTestBed, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "STADSSIGNAAL_KAFKA_BROKER": bed.bootstrap, **(extra_env or {})}
    return subprocess.Popen([sys.executable, "-m", "pipeline", "--log-level", "WARNING", "connect", *args],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_listening(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(proc.stderr.read().decode()[-2000:])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("the connector did not start listening")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_beacon_searches_reach_signals_raw(kafka_bed: KafkaTestBed) -> None:
    port = _free_port()
    proc = _start(["beacon", "--port", str(port)], kafka_bed)
    try:
        _wait_listening(port, proc)
        for query, results in (("parkeer vergunning", 0), ("afvalkalender", 4)):
            answer = httpx.get(f"http://127.0.0.1:{port}/track/search", params={"q": query, "results": results},
                               timeout=30)
            assert answer.status_code == 200, answer.text
        assert httpx.get(f"http://127.0.0.1:{port}/track/search", timeout=30).status_code == 400
        records = consume_topic(kafka_bed.bootstrap, "signals.raw", expected=2)
    finally:
        _stop(proc)
    values = sorted((json.loads(r.value) for r in records), key=lambda v: v["text"])
    assert [(v["channel"], v["text"], v["meta"]["results"]) for v in values] == [
        ("site_search", "afvalkalender", 4), ("site_search", "parkeer vergunning", 0)]
    assert all(r.key.decode() == json.loads(r.value)["id"] for r in records)


def test_call_note_ingest_accepts_good_notes_into_kafka(kafka_bed: KafkaTestBed) -> None:
    port = _free_port()
    proc = _start(["call-notes", "--port", str(port)], kafka_bed, {"STADSSIGNAAL_INGEST_TOKENS": "geheim"})
    try:
        _wait_listening(port, proc)
        batch = [{"id": "n1", "created_at": "2026-11-22T10:00:00+01:00", "text": "mw belt, kliko niet geleegd"},
                 {"id": "n2", "text": ""}]
        bad = httpx.post(f"http://127.0.0.1:{port}/ingest/call-notes", json=batch,
                         headers={"Authorization": "Bearer fout"}, timeout=30)
        assert bad.status_code == 401
        answer = httpx.post(f"http://127.0.0.1:{port}/ingest/call-notes", json=batch,
                            headers={"Authorization": "Bearer geheim"}, timeout=30)
        assert answer.status_code == 200 and answer.json()["accepted"] == 1
        assert answer.json()["rejected"][0]["index"] == 1
        records = consume_topic(kafka_bed.bootstrap, "signals.raw", expected=1)
    finally:
        _stop(proc)
    assert [json.loads(r.value)["id"] for r in records] == ["call_note:n1"]

"""The local runner end to end on a generated stream, with bad records mixed in."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from pipeline.core.settings import Settings
from pipeline.enrich import Enricher
from pipeline.runners.local import LocalRunner
from pipeline.sinks.sqlite.sink import SqliteSink
from pipeline.sinks.sqlite.store import connect
from pipeline.sources.demo.generator import generate_labelled
from pipeline.sources.replay import ReplaySource

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "pipeline/core/schemas/enriched_signal.schema.json").read_text())

BAD_LINES = [
    b'{"id": "twitter:x1", "channel": "twitter", "created_at": "2026-11-20T08:00:00Z", "text": ',
    b'{"id": "twitter:x2", "channel": "twitter", "created_at": "2026-11-20T08:00:00Z", "text": ""}',
    b'{"id": "pigeon:x3", "channel": "pigeon", "created_at": "2026-11-20T08:00:00Z", "text": "hoi"}',
    b'{"id": "twitter:x4", "channel": "twitter", "created_at": "2026-11-20T08:00:00Z", "text": "caf\xe9"}',
    json.dumps({"id": "twitter:x5", "channel": "twitter", "created_at": "2026-11-20T08:00:00Z",
                "text": "lang " * 250_000}).encode(),
]


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    labelled = generate_labelled(n=3000, seed=5)
    path = tmp_path_factory.mktemp("stream") / "signals.jsonl"
    with path.open("wb") as fh:
        for i, (signal, _topic, _sentiment) in enumerate(labelled):
            fh.write(json.dumps(signal.to_dict(), ensure_ascii=False).encode() + b"\n")
            if i % 600 == 300:
                fh.write(BAD_LINES[(i // 600) % len(BAD_LINES)] + b"\n")
    return path, labelled


def test_every_good_signal_stored_once_and_bad_ones_dead_lettered(stream: tuple[Path, list], store_path: Path) -> None:
    path, labelled = stream
    sink = SqliteSink(store_path).open()
    store = sink.store
    stats = LocalRunner(ReplaySource(path), sink, Enricher(Settings())).run()
    assert stats.signals == len(labelled) == store.count()
    assert stats.dead == len(BAD_LINES)
    reasons = [d["reason"] for d in store.dead_letters()]
    assert any("invalid JSON" in r for r in reasons)
    assert any("text is empty" in r for r in reasons)
    assert any("channel is unknown" in r for r in reasons)
    assert any("UTF-8" in r for r in reasons)
    assert any("too large" in r or "too long" in r for r in reasons)

    conn = connect(store_path, readonly=True)
    by_channel = dict(conn.execute("SELECT channel, COUNT(*) FROM signals GROUP BY channel").fetchall())
    assert by_channel == dict(Counter(s.channel for s, _, _ in labelled))
    searches = sum(1 for s, _, _ in labelled if s.channel == "site_search")
    zero = sum(1 for s, _, _ in labelled if s.channel == "site_search" and s.meta.get("results") == 0)
    assert conn.execute("SELECT COUNT(*) FROM signals WHERE query_group IS NOT NULL").fetchone()[0] == searches
    assert conn.execute("SELECT COUNT(*) FROM signals WHERE zero_result = 1").fetchone()[0] == zero
    for row in conn.execute("SELECT doc FROM signals ORDER BY random() LIMIT 300"):
        jsonschema.validate(json.loads(row["doc"]), SCHEMA)


def test_topic_and_sentiment_agree_with_the_generator_mostly(stream: tuple[Path, list], store_path: Path) -> None:
    path, labelled = stream
    sink = SqliteSink(store_path).open()
    LocalRunner(ReplaySource(path), sink, Enricher(Settings())).run()
    conn = connect(store_path, readonly=True)
    stored = {r["id"]: (r["topic"], r["sentiment"]) for r in conn.execute("SELECT id, topic, sentiment FROM signals")}
    topic_hits = sum(stored[s.id][0] == topic for s, topic, _ in labelled)
    sentiment_hits = sum(stored[s.id][1] == sentiment for s, _, sentiment in labelled)
    assert topic_hits / len(labelled) > 0.7
    assert sentiment_hits / len(labelled) > 0.6


def test_restart_with_same_store_adds_nothing(stream: tuple[Path, list], store_path: Path) -> None:
    path, labelled = stream
    sink = SqliteSink(store_path).open()
    store = sink.store
    LocalRunner(ReplaySource(path), sink, Enricher(Settings())).run()
    again = LocalRunner(ReplaySource(path), sink, Enricher(Settings())).run()
    assert again.signals == 0 and again.dead == 0
    assert store.count() == len(labelled)
    assert len(store.dead_letters(1000)) == len(BAD_LINES)


def test_runner_applies_the_retention_period_to_what_was_stored_long_ago(
        stream: tuple[Path, list], store_path: Path) -> None:
    from pipeline.bench.synthetic_signals import enriched_doc
    from pipeline.sinks.sqlite.retention import RetentionTimer

    path, labelled = stream
    sink = SqliteSink(store_path).open()
    store = sink.store
    store.write(None, None, [enriched_doc("twitter:oud", "2026-01-01T10:00:00Z")], stored_at=1.0)
    LocalRunner(ReplaySource(path), sink, Enricher(Settings()), retention=RetentionTimer(90)).run()
    conn = connect(store_path, readonly=True)
    ids = {r[0] for r in conn.execute("SELECT id FROM signals")}
    assert "twitter:oud" not in ids and len(ids) == len(labelled)

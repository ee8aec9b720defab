"""Both runners pick up a promoted (or rolled back) model version between batches, without a restart."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes.model_versions import make_version
from pipeline.cli.model_options import build_enricher
from pipeline.core.settings import Settings
from pipeline.core.signal import RawSignal, SourceBatch, validate
from pipeline.enrich import Enricher
from pipeline.models.hot_reload import ReloadingEnricher
from pipeline.models.registry import ModelRegistry
from pipeline.runners.kafka.agents.enrich import enrich_records
from pipeline.runners.kafka.raw_consumer import RawRecord
from pipeline.runners.local import LocalRunner
from pipeline.sinks.sqlite.sink import SqliteSink


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    """A registry with two versions (models 'eerste' and 'tweede'), none current yet."""
    made = ModelRegistry(tmp_path / "models")
    make_version(made, tmp_path, "eerste")
    make_version(made, tmp_path, "tweede")
    return made


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a store path (the pseudonym key lives beside it)."""
    return Settings(store=tmp_path / "store.db", pseudonym_key="test-key")


def signal(k: int) -> RawSignal:
    """A raw call note."""
    return validate({"id": f"call_note:{k}", "channel": "call_note", "created_at": "2026-03-02T10:00:00+01:00",
                                "text": "De container is niet geleegd"})


class ThreeBatches:
    """A source of three batches of two signals."""

    name = "test:three"

    def batches(self, cursor: dict[str, Any] | None, stop: threading.Event) -> Iterator[SourceBatch]:
        """Yield the batches with a cursor each."""
        for b in range(3):
            yield SourceBatch([signal(2 * b), signal(2 * b + 1)], [], {"batch": b})


def test_local_runner_switches_models_between_batches(registry: ModelRegistry, settings: Settings) -> None:
    """Promote after batch one, promote another after batch two, roll back after batch three: each next batch
    is enriched with the model then current; the runner is never restarted."""
    enricher = ReloadingEnricher(Enricher(settings), registry, check_every=0.0)
    seen: list[set[str]] = []
    steps = [lambda: registry.promote("v0001"), lambda: registry.promote("v0002"), registry.rollback]

    def after_batch(docs: list[dict[str, Any]], _batch: SourceBatch) -> None:
        """Record the model versions of the batch, then change the registry."""
        seen.append({d["model_version"] for d in docs})
        steps[len(seen) - 1]()

    sink = SqliteSink(settings.store)
    try:
        LocalRunner(ThreeBatches(), sink, enricher, on_batch=after_batch).run()
    finally:
        sink.close()
    assert len(seen) == 3
    assert seen[0] == {"keywords-1"}
    assert len(seen[1]) == 1 and next(iter(seen[1])).startswith("eerste-")
    assert len(seen[2]) == 1 and next(iter(seen[2])).startswith("tweede-")
    assert enricher.version == "v0002"          # rolled back after the last batch: seen at the next check
    assert enricher.refresh() is True and enricher.version == "v0001"
    assert enricher.refresh() is False          # nothing changed since


def test_kafka_enrich_path_follows_the_registry(registry: ModelRegistry, settings: Settings) -> None:
    """The worker's enrich step (enrich_records) uses the current version of each batch; a rollback to no
    version brings back the models the worker started with."""
    enricher = ReloadingEnricher(Enricher(settings), registry, check_every=0.0)
    record = RawRecord(b"call_note:1", json.dumps(signal(1).to_dict()).encode(), 0, 7)

    def version() -> str:
        outcome = enrich_records([record], enricher, "kafka:signals.raw", 20_000)
        assert not outcome.dead
        return str(outcome.docs[0]["model_version"])

    assert version() == "keywords-1"
    registry.promote("v0002")
    assert version().startswith("tweede-")
    registry.rollback()
    assert version() == "keywords-1"


def test_the_pointer_is_checked_at_most_every_few_seconds(registry: ModelRegistry, settings: Settings) -> None:
    """Between checks a promotion is not seen; after `check_every` seconds it is."""
    now = [100.0]
    enricher = ReloadingEnricher(Enricher(settings), registry, check_every=5.0, clock=lambda: now[0])
    registry.promote("v0001")
    assert enricher.enrich(signal(1))["model_version"] == "keywords-1"
    now[0] += 6.0
    assert enricher.enrich(signal(1))["model_version"].startswith("eerste-")


def test_a_broken_version_keeps_the_models_in_use(registry: ModelRegistry, settings: Settings) -> None:
    """A promoted version whose model file is damaged is logged and the enricher carries on with its models."""
    enricher = ReloadingEnricher(Enricher(settings), registry, check_every=0.0)
    registry.promote("v0001")
    assert enricher.enrich(signal(1))["model_version"].startswith("eerste-")
    (registry.root / "v0002" / "topic" / "model.joblib").write_bytes(b"not a model")
    registry.promote("v0002")
    assert enricher.enrich(signal(1))["model_version"].startswith("eerste-")


def test_run_and_worker_build_a_following_enricher(registry: ModelRegistry, settings: Settings) -> None:
    """`run` and `worker` get a registry-following enricher from --model-registry."""
    registry.promote("v0002")
    enricher = build_enricher(settings, model_registry=registry.root)
    assert isinstance(enricher, ReloadingEnricher) and enricher.version == "v0002"
    assert not isinstance(build_enricher(settings), ReloadingEnricher)

"""Checks against the real reference data (the `shared_data` fixture; read only; skipped when it is absent)."""
from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.bench.enrich import KATWIJK_LABELS, evaluate_sentiment
from pipeline.core.settings import Settings
from pipeline.core.signal import RawSignal
from pipeline.enrich import Enricher

SAMPLE = 2000


def test_katwijk_meldingen_enrich_cleanly_and_topics_agree_with_routing(shared_data: Path) -> None:
    path = shared_data / "katwijk" / "meldingen_2024_dev.csv"
    if not path.is_file():
        pytest.skip("Katwijk meldingen not present")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("text") and r.get("label") in KATWIJK_LABELS][:SAMPLE]
    moment = datetime(2024, 6, 1, tzinfo=timezone.utc)
    docs = Enricher(Settings()).enrich_many(
        [RawSignal(f"call_note:{n}", "call_note", moment, r["text"]) for n, r in enumerate(rows)])
    for doc in docs:
        json.dumps(doc, ensure_ascii=False)
        assert 0.0 <= doc["topic"]["confidence"] <= 1.0
    agree = sum(doc["topic"]["code"] in KATWIJK_LABELS[row["label"]] for doc, row in zip(docs, rows)) / len(rows)
    print(f"Katwijk topic agreement on {len(rows)} meldingen: {agree:.3f}")
    assert agree > 0.5


def test_lexicon_beats_the_majority_class_on_labelled_tweets(shared_data: Path) -> None:
    path = shared_data / "sentiment" / "nl_political_tweets_polarity_dev.csv"
    if not path.is_file():
        pytest.skip("labelled tweets not present")
    with path.open(encoding="utf-8", newline="") as handle:
        labels = Counter(r["polarity"] for r in csv.DictReader(handle) if r.get("content") and r.get("polarity"))
    result = evaluate_sentiment(path)
    print(f"political tweets: {result}")
    assert result["accuracy"] > max(labels.values()) / sum(labels.values())

"""Throughput of the Elasticsearch sink: synthetic enriched signals written through it to a server.

The benchmark writes to its own indices (`stadssignaal-bench-signals-*`, one-day retention) after
installing their template and policy, so it never touches production indices.
"""
from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from pipeline.sinks.elasticsearch.config import EsConfig
from pipeline.sinks.elasticsearch.setup import run_setup
from pipeline.sinks.elasticsearch.sink import ElasticsearchSink

log = logging.getLogger(__name__)

_TEXTS = [
    ("twitter", "verkeer", "negative", "Al weer een omleiding bij de {place}, niemand weet waar je langs moet"),
    ("facebook", "afval", "negative", "Grofvuil staat al drie dagen op de stoep in {place}"),
    ("call_note", "burgerzaken", "neutral", "Inwoner vraagt naar afspraak paspoort, terugbelverzoek genoteerd"),
    ("twitter", "openbare_ruimte", "negative", "Straatlantaarn kapot in {place}, het is daar 's avonds echt donker"),
    ("facebook", "dienstverlening", "positive", "Snel geholpen door de gemeente, dank jullie wel!"),
    ("site_search", "parkeren", "neutral", "parkeervergunning aanvragen"),
    ("site_search", "afval", "neutral", "afvalkalender {place}"),
]
_PLACES = ["Centrum", "Kerckebosch", "Vollenhove", "Den Dolder", "Austerlitz"]


def synthetic_signals(n: int, run: str, start: datetime | None = None) -> list[dict[str, Any]]:
    """`n` enriched signals shaped like the pipeline's output, spread over three days."""
    rng = random.Random(42)
    start = start or datetime.now(timezone.utc) - timedelta(days=2)
    docs = []
    for i in range(n):
        channel, topic, label, template = _TEXTS[i % len(_TEXTS)]
        place = _PLACES[rng.randrange(len(_PLACES))]
        created = start + timedelta(seconds=i * (3 * 86400 / max(n, 1)))
        text = template.format(place=place)
        doc: dict[str, Any] = {
            "id": f"{channel}:bench-{run}-{i}", "channel": channel, "created_at": created.isoformat(),
            "text": text, "pii": [], "language": "nl",
            "topic": {"code": topic, "label": topic, "confidence": 0.8},
            "topics": [{"code": topic, "label": topic, "confidence": 0.8}],
            "needs_review": False,
            "sentiment": {"label": label, "score": {"negative": -0.6, "neutral": 0.0, "positive": 0.7}[label]},
            "keywords": text.lower().split()[:5], "place": place,
            "model_version": "bench-1", "enriched_at": datetime.now(timezone.utc).isoformat(),
        }
        if channel == "site_search":
            zero = i % 5 == 0
            doc["meta"] = {"results": 0 if zero else 12}
            group = text.replace(" ", "")
            doc["query"] = {"normalized": text, "group": group, "subject": group, "zero_result": zero}
        docs.append(doc)
    return docs


def bench_config(es_url: str, batch_size: int = 500, **auth: Any) -> EsConfig:
    """Sink settings for the benchmark: its own index prefixes and a one-day retention."""
    return EsConfig.from_env(urls=(es_url,), batch_size=batch_size, signals_prefix="stadssignaal-bench-signals",
                             alerts_prefix="stadssignaal-bench-alerts", policy_name="stadssignaal-bench-retention",
                             retention_days=1, flush_interval=0.5, **auth)


def run_es_bench(es_url: str, n: int = 20_000, batch_size: int = 500, setup: bool = True,
                 **auth: Any) -> dict[str, Any]:
    """Write `n` synthetic signals through the sink to `es_url`; return docs/s and the sink's counters."""
    config = bench_config(es_url, batch_size, **auth)
    if setup:
        run_setup(config, echo=lambda line: None)
    docs = synthetic_signals(n, run=str(int(time.time())))
    sink = ElasticsearchSink(config)
    dead = []
    started = time.perf_counter()
    for offset in range(0, n, batch_size):
        dead += sink.write(docs[offset:offset + batch_size])
    dead += sink.flush()
    elapsed = time.perf_counter() - started
    dead += sink.close()
    result = {"docs": n, "seconds": round(elapsed, 3), "docs_per_s": round(n / elapsed if elapsed else 0.0, 1),
              "dead_letters": len(dead), "batch_size": batch_size, **sink.stats}
    if dead:
        result["first_dead_letter"] = dead[0].reason
    return result

"""Corrections that teach, measured on the demo: generated messages go through the pipeline into a store, a
simulated adviser works the review queue (least certain first) and sets each message to the generator's truth,
then `models retrain` runs on those corrections and prints its report with the learning curve."""
from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import Any

import click

from pipeline.models.enricher_setup import enricher_for
from pipeline.sinks.sqlite.corrections import add_correction
from pipeline.sinks.sqlite.store import SqliteStore
from pipeline.sources.demo.generator import generate_records

log = logging.getLogger(__name__)

ACCOUNT = "demo-adviseur"


def certainty(doc: dict[str, Any]) -> float:
    """How sure the pipeline was (the review queue's order): the lower of topic confidence and sentiment certainty."""
    topic = float((doc.get("topic") or {}).get("confidence") or 0.0)
    mood = doc.get("sentiment") or {}
    score = abs(float(mood.get("score") or 0.0))
    return min(topic, score if mood.get("label") in ("negative", "positive") else 1.0 - score)


def fill_store(store_path: Path, messages: int, corrections: int, seed: int, enricher: Any,
               start: float = 1_780_000_000.0, order: str = "queue") -> tuple[int, int]:
    """Write `messages` demo messages (no site searches) and correct `corrections` of them to their true topic and
    sentiment, one a minute: the least certain first (`order` "queue") or in a random order ("random");
    returns (messages stored, corrections where the pipeline was wrong)."""
    records = [r for r in generate_records(int(messages * 1.15) + 10, seed=seed) if r.signal.channel != "site_search"]
    records = records[:messages]
    docs = enricher.enrich_many([r.signal for r in records])
    store = SqliteStore(store_path)
    try:
        for k in range(0, len(docs), 1000):
            store.write(None, None, docs[k:k + 1000])
    finally:
        store.close()
    truth = {r.signal.id: r for r in records}
    if order == "random":
        chosen = random.Random(seed).sample(docs, min(corrections, len(docs)))
    else:
        chosen = sorted(docs, key=lambda d: (certainty(d), d["id"]))[:corrections]
    changed = 0
    for k, doc in enumerate(chosen):
        record = truth[doc["id"]]
        add_correction(store_path, doc["id"], record.topic, record.sentiment, ACCOUNT, now=start + 60 * k)
        changed += int(record.topic != doc["topic"]["code"] or record.sentiment != doc["sentiment"]["label"])
    return len(docs), changed


@click.command("corrections")
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="New SQLite store to fill with demo messages and corrections.")
@click.option("--registry", "registry_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Model registry to retrain into.")
@click.option("--messages", default=6_000, show_default=True, help="Demo messages to enrich and store.")
@click.option("--corrections", default=1_500, show_default=True, help="Least certain messages to correct.")
@click.option("--seed", default=11, show_default=True, help="Seed of the demo generator.")
@click.option("--order", type=click.Choice(["queue", "random"]), default="queue", show_default=True,
              help="Which messages the adviser corrects: the review queue's (least certain first) or random ones.")
@click.pass_context
def bench_corrections(ctx: click.Context, store_path: Path, registry_dir: Path, messages: int, corrections: int,
                      seed: int, order: str) -> None:
    """Demo messages, simulated corrections of the least certain ones, then `models retrain` with its curve."""
    from pipeline.models.registry import ModelRegistry
    from pipeline.models.retrain import examples_by_task, report_text, retrain
    from pipeline.sinks.sqlite.corrections import read_training_rows

    if store_path.exists():
        raise click.UsageError(f"{store_path} exists; give a new store file")
    settings = ctx.find_root().obj["settings"].model_copy(update={"store": store_path})
    stored, wrong = fill_store(store_path, messages, corrections, seed, enricher_for(settings), order=order)
    click.echo(f"{stored} demo messages stored; {corrections} corrected (the pipeline was wrong on {wrong} of them)")
    result = retrain(ModelRegistry(registry_dir), examples_by_task(read_training_rows(store_path)))
    click.echo(report_text(result))

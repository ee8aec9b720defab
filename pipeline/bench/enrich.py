"""Throughput benchmark of the enricher on synthetic typical signals (tweets, call notes, searches)."""
from __future__ import annotations

import csv
import random
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import click

from pipeline.core.settings import Settings
from pipeline.core.signal import RawSignal

# Sentence parts written by the team for the benchmark; combined at random into typical texts.
_TWEET_OPENERS = [
    "Al twee weken ligt de Slotlaan open", "Weer geen vuilniswagen geweest in onze straat",
    "Waarom staat de container bij het Emmaplein al dagen vol", "De lantaarnpaal voor ons huis brandt niet",
    "Top dat het grofvuil zo snel is opgehaald", "Wanneer is de omleiding bij de Utrechtseweg voorbij",
    "Wat een overlast van die wegwerkzaamheden", "Bedankt voor de snelle hulp met mijn paspoort",
    "Hangjongeren bij de speeltuin in Kerckebosch maken veel herrie", "Parkeervergunning aanvragen lukt niet online",
]
_TWEET_TAILS = [
    "en niemand reageert op mijn melding", "kan iemand dit oppakken", "graag actie", "heel fijn zo",
    "dit is toch niet normaal", "super geregeld", "wanneer wordt dit eindelijk opgelost", "dank jullie wel",
]
_TWEET_TAGS = ["#zeist", "#wegwerkzaamheden", "#afval", "@gemeentezeist", "😡", "👍", "!!!", "?", ""]
_NOTE_OPENERS = [
    "Mw. De Vries belt over", "Dhr. Jansen belt, wil weten", "Meneer belt namens zijn moeder over",
    "Mevrouw Bakker meldt", "Beller vraagt naar",
]
_NOTE_SUBJECTS = [
    "de kliko die niet is geleegd", "de WOZ-beschikking die volgens haar te hoog is", "een aanvraag voor WMO huishoudelijke hulp",
    "de status van zijn omgevingsvergunning voor een dakkapel", "een kapotte stoeptegel voor de deur",
    "het verlengen van haar rijbewijs", "zijn bijstandsuitkering die nog niet is ontvangen",
    "geluidsoverlast van de buren in de nacht",
]
_NOTE_TAILS = [
    "Graag terugbellen op 06-12345678.", "Doorgezet naar team Afval, terugbellen binnen 24 uur.",
    "Adres 3701 AB 12, callback gewenst.", "Is al eerder gebeld maar niet teruggebeld.",
    "Uitgelegd hoe het via de website kan, mail naar j.jansen@example.nl gestuurd.",
]
_SEARCHES = [
    "paspoort", "grofvuil", "afvalkalender", "parkeervergunning", "woz", "parkeer vergunning", "rijbewijs verlengen",
    "openingstijden", "kliko kapot", "omgevingsvergunning", "bijstand", "verhuizen", "containerpas", "wmo",
]


def synthetic_signals(count: int, seed: int = 7) -> list[RawSignal]:
    """Typical signals in a realistic mix: 45% tweets/posts, 25% call notes, 30% site searches."""
    rng = random.Random(seed)
    start = datetime(2024, 6, 1, tzinfo=timezone.utc)
    signals = []
    for n in range(count):
        moment = start + timedelta(seconds=n * 7)
        roll = rng.random()
        if roll < 0.45:
            text = f"{rng.choice(_TWEET_OPENERS)} {rng.choice(_TWEET_TAILS)} {rng.choice(_TWEET_TAGS)}"
            signals.append(RawSignal(f"twitter:{n}", "twitter", moment, text, author=f"@user{rng.randrange(5000)}"))
        elif roll < 0.70:
            text = f"{rng.choice(_NOTE_OPENERS)} {rng.choice(_NOTE_SUBJECTS)}. {rng.choice(_NOTE_TAILS)}"
            signals.append(RawSignal(f"call_note:{n}", "call_note", moment, text, author=f"kcc-{rng.randrange(30)}",
                                     meta={"team": "KCC", "callback": rng.random() < 0.5}))
        else:
            signals.append(RawSignal(f"site_search:{n}", "site_search", moment, rng.choice(_SEARCHES),
                                     meta={"results": rng.choice([0, 3, 12])}))
    return signals


def measure(count: int = 20_000, batch: int = 500, sentiment_model: Any = None) -> tuple[float, float]:
    """(wall-clock, CPU-time) signals per second of Enricher.enrich_many over synthetic signals.

    The CPU-time rate is what one core delivers when other processes compete for it.
    """
    from pipeline.enrich import Enricher
    from pipeline.models.enricher_setup import enricher_for

    enricher = (enricher_for(Settings()) if sentiment_model is None
                else Enricher(Settings(), sentiment_model=sentiment_model))
    signals = synthetic_signals(count)
    enricher.enrich_many(signals[:batch])
    wall, cpu = time.perf_counter(), time.process_time()
    for offset in range(0, count, batch):
        enricher.enrich_many(signals[offset:offset + batch])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return (count / wall if wall > 0 else float("inf")), (count / cpu if cpu > 0 else float("inf"))


# Which keyword-model codes count as a match for each routing label of the Katwijk reference set
# (several labels span two of our codes: roads hold traffic and paving; Katwijk routes failures of
# underground containers and of parking meters to one technical team).
KATWIJK_LABELS: dict[str, frozenset[str]] = {
    "Overlast en handhaving": frozenset({"overlast", "parkeren"}),
    "Huisafval": frozenset({"afval"}),
    "Parkeren": frozenset({"parkeren"}),
    "Openbaar groen": frozenset({"openbare_ruimte"}),
    "Wegen, straten en verkeer": frozenset({"verkeer", "openbare_ruimte"}),
    "Zwerfafval": frozenset({"afval"}),
    "Straatverlichting": frozenset({"openbare_ruimte"}),
    "Technische storingen en parkeermeters": frozenset({"parkeren", "openbare_ruimte", "verkeer", "afval"}),
    "Straatmeubilair en verkeersborden": frozenset({"openbare_ruimte", "verkeer"}),
    "Vuurwerkoverlast": frozenset({"overlast"}),
    "Riolering en water": frozenset({"openbare_ruimte"}),
    "Ongedierte": frozenset({"overlast"}),
    "Speelvoorzieningen": frozenset({"openbare_ruimte"}),
    "Meeuwen": frozenset({"overlast"}),
}


def evaluate_katwijk(path: Path) -> dict[str, float]:
    """Topic agreement, PII kinds found and throughput on the Katwijk meldingen (read only, nothing kept)."""
    from pipeline.models.enricher_setup import enricher_for

    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("text") and r.get("label") in KATWIJK_LABELS]
    start = datetime(2024, 6, 1, tzinfo=timezone.utc)
    signals = [RawSignal(f"call_note:{n}", "call_note", start, r["text"][:20_000]) for n, r in enumerate(rows)]
    enricher = enricher_for(Settings())
    cpu = time.process_time()
    docs = enricher.enrich_many(signals)
    cpu = time.process_time() - cpu
    agree = sum(doc["topic"]["code"] in KATWIJK_LABELS[row["label"]] for doc, row in zip(docs, rows))
    overig = sum(doc["topic"]["code"] == "overig" for doc in docs)
    kinds = Counter(kind for doc in docs for kind in doc["pii"])
    result = {"rows": len(rows), "topic_agreement": agree / max(1, len(rows)), "overig_share": overig / max(1, len(rows)),
              "signals_per_cpu_second": len(rows) / cpu if cpu > 0 else float("inf")}
    result.update({f"pii_{kind}": float(n) for kind, n in sorted(kinds.items())})
    return result


def evaluate_sentiment(path: Path) -> dict[str, float]:
    """Accuracy and per-label recall of the lexicon scorer on the labelled political tweets (off-domain)."""
    from pipeline.enrich.sentiment import LexiconSentiment

    scorer = LexiconSentiment()
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("content") and r.get("polarity")]
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter(r["polarity"] for r in rows)
    for row in rows:
        label, _ = scorer.score(row["content"])
        if label == row["polarity"]:
            hits[label] += 1
    result = {"rows": len(rows), "accuracy": sum(hits.values()) / max(1, len(rows))}
    result.update({f"recall_{label}": hits[label] / totals[label] for label in sorted(totals)})
    return result


def echo_redaction_rates(echo: Callable[[str], None], notes: int = 3_000, seed: int = 99) -> dict[str, float]:
    """Print removal and kept rates of the redactor on generated call notes with planted personal data."""
    from pipeline.enrich.pii.evaluation import evaluate
    from pipeline.enrich.pii.redact import redact

    rates = evaluate(redact, notes, seed)
    echo(f"redaction on {notes} generated call notes (target removed >= 95%, goal 99%; kept >= 95%):")
    echo("  " + ", ".join(f"{k} {v:.2%}" for k, v in rates.items()))
    return rates


@click.command("bench-enrich")
@click.option("--count", default=20_000, show_default=True, help="How many synthetic signals to enrich.")
@click.option("--batch", default=500, show_default=True, help="Signals per enrich_many call.")
@click.option("--data", "data", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Reference data folder: also evaluate on its Katwijk meldingen and labelled tweets.")
@click.option("--sentiment-model", type=click.Path(path_type=Path), default=None,
              help="Also measure with this sentiment model directory ('starter': the bundled one).")
def bench_command(count: int, batch: int, data: Path | None, sentiment_model: Path | None) -> None:
    """Measure enrichment throughput (signals per second, one core) on synthetic typical signals."""
    wall, cpu = measure(count, batch)
    click.echo(f"enriched {count} signals: {wall:,.0f} signals/s wall clock, {cpu:,.0f} signals/s of CPU time "
               "(target >= 5,000 on one core)")
    echo_redaction_rates(click.echo)
    if sentiment_model is not None:
        from pipeline.models.sentiment_model import load_sentiment_model
        from pipeline.models.starter import starter_sentiment_dir

        model = load_sentiment_model(starter_sentiment_dir() if str(sentiment_model) == "starter" else sentiment_model)
        wall, cpu = measure(count, batch, model)
        click.echo(f"with sentiment model {model.version}: {wall:,.0f} signals/s wall clock, "
                   f"{cpu:,.0f} signals/s of CPU time")
    if data is None:
        return
    katwijk = data / "katwijk" / "meldingen_2024_dev.csv"
    if katwijk.is_file():
        click.echo("katwijk meldingen: " + ", ".join(f"{k}={v:.3g}" for k, v in evaluate_katwijk(katwijk).items()))
    tweets = data / "sentiment" / "nl_political_tweets_polarity_dev.csv"
    if tweets.is_file():
        click.echo("political tweets sentiment: " + ", ".join(
            f"{k}={v:.3g}" for k, v in evaluate_sentiment(tweets).items()))


if __name__ == "__main__":
    bench_command()

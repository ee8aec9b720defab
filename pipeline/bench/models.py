"""Benchmarks of the topic and sentiment models, printed against their targets; each reads the reference data
folder it is given (``--data DIR``) and skips when a file is absent."""
from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from pipeline.models.baseline_signalen import signalen_pipeline, tune_signalen_c
from pipeline.models.labelled_data import read_labelled_csv
from pipeline.models.report import evaluate_predictions
from pipeline.models.splitting import holdout_split
from pipeline.models.taxonomy_mapping import KATWIJK, map_labels
from pipeline.models.topic_model import TrainedTopicModel
from pipeline.models.training import train_topic_model

log = logging.getLogger(__name__)

KATWIJK_FILE = Path("katwijk") / "meldingen_2024_dev.csv"
TWEETS_FILE = Path("sentiment") / "nl_political_tweets_polarity_dev.csv"
TARGET_KATWIJK_F1 = 0.75
TARGET_TRAIN_SECONDS = 60.0
TARGET_STARTER_ACCURACY = 0.80
TARGET_SHIPPED_SENTIMENT_F1 = 0.60
TARGET_TRAINED_SENTIMENT_F1 = 0.65
TARGET_SIGNALS_PER_SECOND = 5000.0


@dataclass(slots=True)
class BenchLine:
    """One measured figure with its target (None: no target) and whether higher is better."""

    name: str
    value: float
    target: float | None = None
    higher_is_better: bool = True
    unit: str = ""

    def verdict(self) -> str:
        """'met', 'MISSED' or '' when there is no target."""
        if self.target is None:
            return ""
        ok = self.value >= self.target if self.higher_is_better else self.value <= self.target
        return "met" if ok else "MISSED"

    def render(self) -> str:
        """One aligned line."""
        value = f"{self.value:,.0f}" if self.value >= 100 else f"{self.value:.3f}"
        target = ""
        if self.target is not None:
            sign = ">=" if self.higher_is_better else "<="
            tgt = f"{self.target:,.0f}" if self.target >= 100 else f"{self.target:.2f}"
            target = f"(target {sign} {tgt}) {self.verdict()}"
        return f"  {self.name:<58} {value:>10} {self.unit:<6} {target}"


@dataclass(slots=True)
class BenchSection:
    """A titled group of figures with free-text notes."""

    title: str
    lines: list[BenchLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None

    def render(self) -> str:
        """The section as text."""
        out = [self.title]
        if self.skipped:
            return "\n".join(out + [f"  skipped: {self.skipped}"])
        out += [line.render() for line in self.lines]
        out += [f"  {note}" for note in self.notes]
        return "\n".join(out)


def bench_katwijk_training(path: Path) -> BenchSection:
    """Our `train` vs the Signalen baseline on the same time-ordered 80/20 split of the Katwijk file."""
    section = BenchSection("Katwijk meldingen, time-ordered 80/20 (older 80 % train, newest 20 % validate)")
    with tempfile.TemporaryDirectory() as out:
        result = train_topic_model(path, Path(out) / "model", time_column="created", name="katwijk", progress=False)
    section.lines.append(BenchLine("ours: macro-F1", result.report.macro_f1, TARGET_KATWIJK_F1))
    section.lines.append(BenchLine("ours: accuracy", result.report.accuracy))
    section.lines.append(BenchLine("ours: training time (tuning + fit + baseline + report)", result.seconds,
                                   TARGET_TRAIN_SECONDS, higher_is_better=False, unit="s"))
    if result.baseline is not None:
        section.lines.append(BenchLine("char_wb 2-5 TF-IDF + logistic regression (C=1): macro-F1",
                                       result.baseline.macro_f1))
    report = result.report
    if report.review_threshold is not None and report.accuracy_above_threshold is not None:
        section.notes.append(
            f"needs_review below {report.review_threshold:.2f} (calibrated): {report.review_share:.1%} of the "
            f"validation rows, accuracy {report.accuracy_below_threshold} below and "
            f"{report.accuracy_above_threshold} above; expected calibration error {report.expected_calibration_error}")
    data = read_labelled_csv(path, "text", "label", "created")
    split = holdout_split(data.labels, data.times)
    train, validation = data.subset(split.train), data.subset(split.validation)
    began = time.perf_counter()
    inner = holdout_split(train.labels, train.times)
    best_c = tune_signalen_c([train.texts[i] for i in inner.train], [train.labels[i] for i in inner.train],
                             [train.texts[i] for i in inner.validation], [train.labels[i] for i in inner.validation])
    baseline = signalen_pipeline(best_c).fit(train.texts, train.labels)
    predicted = list(baseline.predict(validation.texts))
    seconds = time.perf_counter() - began
    report = evaluate_predictions(validation.labels, predicted)
    section.lines.append(BenchLine(f"Signalen baseline (C={best_c} tuned the same way): macro-F1", report.macro_f1))
    section.lines.append(BenchLine("Signalen baseline: accuracy", report.accuracy))
    section.lines.append(BenchLine("Signalen baseline: training time", seconds, unit="s"))
    section.notes.append(split.description)
    section.notes.append("ours per class F1: " + ", ".join(f"{c.label} {c.f1:.2f}" for c in result.report.per_class))
    return section


def starter_katwijk_scores(model: TrainedTopicModel, texts: list[str], labels: list[str]) -> dict[str, Any]:
    """Strict, name-compatible and single-topic-category accuracy of a model over the fixed codes on Katwijk rows."""
    predicted, _ = model.classify(texts)
    mappings, unknown = map_labels(labels, KATWIJK)
    strict = sum(m is not None and m.primary == p for m, p in zip(mappings, predicted))
    lenient = sum(m is not None and m.accepts(p) for m, p in zip(mappings, predicted))
    single = [(m, p) for m, p in zip(mappings, predicted) if m is not None and not m.also]
    per_category: dict[str, list[int]] = {}
    for label, m, p in zip(labels, mappings, predicted):
        hit = per_category.setdefault(label, [0, 0])
        hit[0] += int(m is not None and m.primary == p)
        hit[1] += 1
    return {
        "strict": strict / len(labels), "lenient": lenient / len(labels),
        "single_topic": sum(m.primary == p for m, p in single) / len(single) if single else 0.0,
        "single_topic_rows": len(single), "unknown_labels": unknown, "per_category": per_category,
        "predicted": Counter(predicted),
    }


def bench_starter_on_katwijk(path: Path, model: TrainedTopicModel | None = None) -> BenchSection:
    """The starter model (never trained on Katwijk) scored against the Katwijk categories mapped to our codes."""
    from pipeline.models.starter import load_starter_topic_model

    section = BenchSection("Starter model on all Katwijk texts, categories mapped to our codes (TAXONOMY_MAPPING.md)")
    model = model or load_starter_topic_model()
    data = read_labelled_csv(path, "text", "label")
    scores = starter_katwijk_scores(model, data.texts, data.labels)
    section.lines.append(BenchLine("accuracy, strict (each category -> its primary code)", scores["strict"],
                                   TARGET_STARTER_ACCURACY))
    section.lines.append(BenchLine("accuracy, name-compatible (also codes the category names)", scores["lenient"],
                                   TARGET_STARTER_ACCURACY))
    section.lines.append(BenchLine(f"accuracy on the single-topic categories ({scores['single_topic_rows']} rows)",
                                   scores["single_topic"]))
    section.notes.append("per category (strict): " + ", ".join(
        f"{label} {hit / total:.2f}" for label, (hit, total) in sorted(scores["per_category"].items())))
    if scores["unknown_labels"]:
        section.notes.append(f"unmapped labels (counted wrong): {scores['unknown_labels']}")
    return section


def bench_sentiment(path: Path, folds: int = 5) -> BenchSection:
    """On the labelled tweets: the lexicons alone, the shipped model (never trained on them), and k-fold CV of the
    supervised recipe trained on them, with and without the team corpus in each fold."""
    from pipeline.models.sentiment_eval import evaluate_sentiment_file, pattern_labels, read_sentiment_file

    section = BenchSection(f"Sentiment on political tweets (3 classes; {folds}-fold stratified CV where noted)")
    bundled = evaluate_sentiment_file(path, "content", "polarity", progress=False)
    if bundled.lexicon_macro_f1 is not None:
        section.lines.append(BenchLine("enricher lexicon scorer alone: macro-F1", bundled.lexicon_macro_f1))
    data = read_sentiment_file(path, "content", "polarity")
    pattern = evaluate_predictions(data.labels, pattern_labels(data.texts), labels=["negative", "neutral", "positive"])
    section.lines.append(BenchLine("Pattern lexicon alone (mean polarity): macro-F1", pattern.macro_f1))
    section.lines.append(BenchLine("shipped starter model (team corpus only): macro-F1", bundled.report.macro_f1,
                                   TARGET_SHIPPED_SENTIMENT_F1))
    if bundled.report.expected_calibration_error is not None:
        section.lines.append(BenchLine("shipped starter model: expected calibration error",
                                       bundled.report.expected_calibration_error, higher_is_better=False))
    plain = evaluate_sentiment_file(path, "content", "polarity", cv=folds, progress=False)
    section.lines.append(BenchLine("supervised recipe trained on the tweets (CV): macro-F1", plain.report.macro_f1,
                                   TARGET_TRAINED_SENTIMENT_F1))
    with_corpus = evaluate_sentiment_file(path, "content", "polarity", cv=folds, with_corpus=True, progress=False)
    section.lines.append(BenchLine("  + team corpus in each training fold (CV): macro-F1",
                                   with_corpus.report.macro_f1, TARGET_TRAINED_SENTIMENT_F1))
    section.notes.append(f"shipped model version {bundled.method}")
    return section


def _rates(count: int, run: Callable[[], Any]) -> tuple[float, float]:
    """Items per second of `run` (which handles `count` items) by wall clock and by CPU time, after a warm-up."""
    run()
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return (count / wall if wall > 0 else float("inf")), (count / cpu if cpu > 0 else float("inf"))


def bench_speed(count: int = 10_000, batch: int = 500) -> BenchSection:
    """Signals per second on one thread: starter topic predictions, supervised sentiment, and the enricher with them."""
    from pipeline.models.sentiment_model import load_sentiment_model
    from pipeline.models.starter import load_starter_topic_model, starter_sentiment_dir

    section = BenchSection(f"Speed on one thread ({count:,} synthetic typical signals, batches of {batch}; wall clock)")
    try:
        from pipeline.bench.enrich import synthetic_signals
        from pipeline.core.settings import Settings
        from pipeline.models.enricher_setup import enricher_for
    except ImportError as err:
        section.skipped = f"pipeline.enrich not available ({err})"
        return section
    signals = synthetic_signals(count)
    texts = [s.text for s in signals]
    topic = load_starter_topic_model()
    sentiment = load_sentiment_model(starter_sentiment_dir())

    def batches(fn: Callable[[list[Any]], Any], items: list[Any]) -> Callable[[], None]:
        """A call that runs `fn` over `items` in batches."""
        return lambda: [fn(items[i:i + batch]) for i in range(0, len(items), batch)]

    jobs: list[tuple[str, Callable[[], None], float | None]] = [
        ("starter topic model alone: predict", batches(topic.predict, texts), None),
        ("supervised sentiment alone: score_many", batches(sentiment.score_many, texts), None),
        ("enrich, default (keyword topics, supervised sentiment)", batches(enricher_for(Settings()).enrich_many, signals),
         TARGET_SIGNALS_PER_SECOND),
        ("enrich with the starter topic model",
         batches(enricher_for(Settings(), topic_model=topic).enrich_many, signals), TARGET_SIGNALS_PER_SECOND),
        ("enrich with the lexicon scorer alone",
         batches(enricher_for(Settings(sentiment_model="lexicon")).enrich_many, signals), None),
    ]
    cpu_rates = []
    for name, run, target in jobs:
        wall, cpu = _rates(count, run)
        section.lines.append(BenchLine(name, wall, target, unit="sig/s"))
        cpu_rates.append(f"{name.split(':')[0]} {cpu:,.0f}")
    section.notes.append("by CPU time of this process (sig/s): " + "; ".join(cpu_rates))
    return section


def run_benchmarks(data_dir: Path | None = None, speed_count: int = 10_000,
                   echo: Callable[[str], None] = print) -> list[BenchSection]:
    """Run every benchmark on one BLAS thread and echo each section as it finishes.

    `data_dir` is the reference data folder (with katwijk/ and sentiment/); without it only speed is measured.
    """
    sections: list[BenchSection] = []
    missing = Path("(no reference data folder given: --data DIR)")
    base = data_dir if data_dir is not None else missing
    jobs: list[tuple[str, Path | None, Callable[..., BenchSection]]] = [
        ("Katwijk training", base / KATWIJK_FILE, bench_katwijk_training),
        ("Starter on Katwijk", base / KATWIJK_FILE, bench_starter_on_katwijk),
        ("Sentiment", base / TWEETS_FILE, bench_sentiment),
        ("Speed", None, lambda _: bench_speed(speed_count)),
    ]
    with threadpool_limits(limits=1):
        for title, path, job in jobs:
            if path is not None and (data_dir is None or not path.is_file()):
                reason = f"{path} not found" if data_dir is not None else "no reference data folder given (--data DIR)"
                section = BenchSection(title, skipped=reason)
            else:
                try:
                    section = job(path)
                except Exception as err:  # one failing benchmark must not hide the others
                    log.exception("benchmark %s failed", title)
                    section = BenchSection(title, skipped=f"failed: {type(err).__name__}: {err}")
            sections.append(section)
            echo(section.render() + "\n")
    return sections

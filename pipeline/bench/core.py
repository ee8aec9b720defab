"""`stadssignaal bench`: throughput, latency and memory of the core, next to a Signalen-style baseline."""
from __future__ import annotations

import json
import resource
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from pipeline.core.settings import Settings
from pipeline.core.signal import RawSignal, SourceBatch

Echo = Callable[[str], None]


def demo_signals(n: int, seed: int = 11) -> list[tuple[RawSignal, str]]:
    """`n` generated demo signals with their true topic code."""
    from pipeline.sources.demo.generator import generate_labelled

    return [(signal, topic) for signal, topic, _sentiment in generate_labelled(n=n, seed=seed)]


class PacedSource:
    """Yields given signals at a fixed rate (signals per second), stamping when each entered."""

    name = "bench:paced"

    def __init__(self, signals: list[RawSignal], rate: float, tick: float = 0.02) -> None:
        self.signals = signals
        self.rate = rate
        self.tick = tick

    def batches(self, cursor: dict[str, Any] | None, stop: threading.Event) -> Iterator[SourceBatch]:
        """Release the signals that are due every tick."""
        start = time.monotonic()
        sent = 0
        while sent < len(self.signals) and not stop.is_set():
            due = min(len(self.signals), int((time.monotonic() - start) * self.rate) + 1)
            if due > sent:
                now = time.monotonic()
                chunk = self.signals[sent:due]
                sent = due
                yield SourceBatch(chunk, [], {"n": sent}, [now] * len(chunk))
            time.sleep(self.tick)


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def bench_enrich(settings: Settings, signals: list[RawSignal]) -> float:
    """Signals per second through the enricher alone, in one thread."""
    from pipeline.models.enricher_setup import enricher_for

    enricher = enricher_for(settings)
    enricher.enrich_many(signals[:200])  # warm caches
    start = time.perf_counter()
    for i in range(0, len(signals), 500):
        enricher.enrich_many(signals[i:i + 500])
    return len(signals) / (time.perf_counter() - start)


def bench_runner(settings: Settings, signals: list[RawSignal], workdir: Path) -> float:
    """Signals per second from a replay file through the local runner into SQLite."""
    from pipeline.models.enricher_setup import enricher_for
    from pipeline.runners.local import LocalRunner
    from pipeline.sinks.sqlite.sink import SqliteSink
    from pipeline.sources.replay import ReplaySource

    path = workdir / "bench.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for signal in signals:
            fh.write(json.dumps(signal.to_dict(), ensure_ascii=False) + "\n")
    sink = SqliteSink(workdir / "bench.db").open()
    runner = LocalRunner(ReplaySource(path, batch_size=settings.batch_size), sink, enricher_for(settings))
    start = time.perf_counter()
    stats = runner.run()
    elapsed = time.perf_counter() - start
    assert sink.store is not None
    stored = sink.store.count()
    sink.close()
    if stored != len(signals) or stats.signals != len(signals):
        raise RuntimeError(f"runner stored {stored} of {len(signals)} signals")
    return len(signals) / elapsed


def bench_latency(settings: Settings, signals: list[RawSignal], workdir: Path, rate: float) -> tuple[float, float]:
    """p50 and p99 seconds from entering the runner to being committed (queryable), at `rate` signals/s."""
    from pipeline.models.enricher_setup import enricher_for
    from pipeline.runners.local import LocalRunner
    from pipeline.sinks.sqlite.sink import SqliteSink

    sink = SqliteSink(workdir / "latency.db").open()
    runner = LocalRunner(PacedSource(signals, rate), sink, enricher_for(settings), keep_latencies=True)
    stats = runner.run()
    sink.close()
    return _percentile(stats.latencies, 0.5), _percentile(stats.latencies, 0.99)


def bench_baseline(labelled: list[tuple[RawSignal, str]]) -> float:
    """Signals per second of the Signalen configuration (Snowball + CountVectorizer(1,2) + TF-IDF + LR)."""
    from nltk.stem.snowball import SnowballStemmer
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    stemmer = SnowballStemmer("dutch")

    def preprocess(text: str) -> str:
        return " ".join(stemmer.stem(word) for word in text.lower().split())

    texts = [signal.text for signal, _ in labelled]
    labels = [topic for _, topic in labelled]
    model = Pipeline([
        ("counts", CountVectorizer(ngram_range=(1, 2), preprocessor=preprocess)),
        ("tfidf", TfidfTransformer()),
        ("clf", LogisticRegression(max_iter=200)),
    ])
    model.fit(texts, labels)
    start = time.perf_counter()
    for i in range(0, len(texts), 500):
        model.predict(texts[i:i + 500])
    return len(texts) / (time.perf_counter() - start)


def run_core_bench(settings: Settings, n: int, echo: Echo = print) -> dict[str, float]:
    """Run every core measurement and print the figures next to the targets."""
    echo(f"Generating {n} demo signals ...")
    labelled = demo_signals(n)
    signals = [signal for signal, _ in labelled]
    figures: dict[str, float] = {}
    figures["enrich_per_s"] = bench_enrich(settings, signals)
    echo(f"enrich alone (1 thread):            {figures['enrich_per_s']:>9,.0f} signals/s   (target >= 5,000)")
    with tempfile.TemporaryDirectory(prefix="stadssignaal-bench-") as tmp:
        figures["runner_per_s"] = bench_runner(settings, signals, Path(tmp))
        echo(f"local runner end to end (SQLite):   {figures['runner_per_s']:>9,.0f} signals/s   (target >= 3,000)")
        rate = 500.0
        count = min(len(signals), int(rate * 10))
        p50, p99 = bench_latency(settings, signals[:count], Path(tmp), rate)
        figures["latency_p50_ms"], figures["latency_p99_ms"] = p50 * 1000, p99 * 1000
        echo(f"latency at {rate:.0f} signals/s ({count} signals): p50 {p50 * 1000:,.1f} ms, "
             f"p99 {p99 * 1000:,.1f} ms   (target p99 <= 1,000 ms)")
    figures["baseline_per_s"] = bench_baseline(labelled)
    figures["ratio"] = figures["enrich_per_s"] / figures["baseline_per_s"]
    echo(f"baseline classifier (Signalen cfg): {figures['baseline_per_s']:>9,.0f} signals/s   "
         f"(classify only; ours/baseline = {figures['ratio']:.2f})")
    figures["peak_rss_mb"] = peak_rss_mb()
    echo(f"peak memory (RSS):                  {figures['peak_rss_mb']:>9,.0f} MB          (target <= 400 MB)")
    return figures

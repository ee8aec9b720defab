"""Dashboard query speed on a large synthetic store: builds N random enriched signals and times each query."""
from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any, Callable

from pipeline.sinks.sqlite_store import SqliteStore, connect
from pipeline.web import queries
from pipeline.web.fixtures import synthetic_docs


def build_store(path: Path, n: int, batch: int = 20_000, span_days: float = 180.0) -> None:
    """Write `n` synthetic docs into a new store at `path`."""
    store = SqliteStore(path)
    try:
        chunk: list[dict[str, Any]] = []
        for doc in synthetic_docs(n, span_days):
            chunk.append(doc)
            if len(chunk) >= batch:
                store.write(None, None, chunk)
                chunk = []
        if chunk:
            store.write(None, None, chunk)
    finally:
        store.close()


def _median_ms(call: Callable[[], Any], repeats: int) -> float:
    """Median wall time of `call` in milliseconds."""
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        call()
        times.append((time.perf_counter() - begin) * 1000)
    return statistics.median(times)


def time_queries(path: Path, repeats: int = 3) -> dict[str, float]:
    """Median milliseconds of each dashboard query for every window on the store at `path`."""
    conn = connect(path, readonly=True)
    results: dict[str, float] = {}
    try:
        for window in queries.WINDOWS:
            p = queries.period(conn, window)
            span = (p.start, p.end)
            results[f"{window} summary"] = _median_ms(lambda: queries.summary(conn, *span), repeats)
            for by in ("channel", "topic"):
                results[f"{window} volume/{by}"] = _median_ms(
                    lambda: queries.volume(conn, by, *span, p.bucket_seconds), repeats)
            results[f"{window} sentiment"] = _median_ms(
                lambda: queries.sentiment_over_time(conn, *span, p.bucket_seconds), repeats)
            results[f"{window} zero-results"] = _median_ms(lambda: queries.zero_result_searches(conn, *span), repeats)
            flt = queries.SignalFilter(start=p.start, end=p.end)
            results[f"{window} latest"] = _median_ms(lambda: queries.latest(conn, flt), repeats)
            flt_q = queries.SignalFilter(q="lantaarnpaal kapot", channel="twitter", start=p.start, end=p.end)
            results[f"{window} latest q+channel"] = _median_ms(lambda: queries.latest(conn, flt_q), repeats)
            flt_rare = queries.SignalFilter(q="zzz_no_match", start=p.start, end=p.end)
            results[f"{window} latest no-match"] = _median_ms(lambda: queries.latest(conn, flt_rare), repeats)
    finally:
        conn.close()
    return results


def run_benchmark(path: Path, n: int, echo: Callable[[str], None] = print, repeats: int = 3) -> dict[str, float]:
    """Build (or reuse) a store of `n` signals at `path`, time the queries and print one line per query."""
    if not path.exists():
        echo(f"building a synthetic store of {n:,} signals at {path} ...")
        begin = time.perf_counter()
        build_store(path, n)
        echo(f"built in {time.perf_counter() - begin:.1f} s")
    results = time_queries(path, repeats)
    for name, ms in results.items():
        echo(f"{name:<28} {ms:8.1f} ms")
    echo(f"slowest: {max(results.values()):.1f} ms (target: 300 ms per query)")
    return results

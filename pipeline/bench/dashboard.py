"""Dashboard speed on a large synthetic store: builds N random enriched signals, times each query, and
times every HTTP endpoint (p50/p95) through a real server, including the advisers' pages."""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import httpx

from pipeline.apps.dashboard import queries
from pipeline.bench.bulk_store import build_bulk_store, store_size
from pipeline.bench.synthetic_signals import SAMPLE_PLACES, synthetic_docs
from pipeline.core.settings import Settings
from pipeline.sinks.sqlite.advisers import Dossier, ensure_schema, save_dossier
from pipeline.sinks.sqlite.store import SqliteStore, connect

BENCH_ACCOUNT = "@gemeentezeist"


def time_writes(path: Path, n: int, batch: int = 1_000, id_prefix: str = "w") -> float:
    """Docs/s of SqliteStore.write for `n` new synthetic docs in batches of `batch` into the store at `path`.

    The store gets the advisers' side tables (and the two bench dossiers) first, as when the dashboard runs,
    so the figure includes keeping them in step. The docs get fresh ids (`id_prefix`), so a large store grows by n.
    """
    store = SqliteStore(path)
    try:
        ensure_schema(path, BENCH_ACCOUNT)
        _bench_dossiers(path)
        docs = []
        for doc in synthetic_docs(n, span_days=1.0):
            docs.append({**doc, "id": f"{doc['channel']}:{id_prefix}{doc['id'].split(':', 1)[1]}"})
        begin = time.perf_counter()
        for first in range(0, n, batch):
            store.write(None, None, docs[first:first + batch])
        return n / (time.perf_counter() - begin)
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


def prepare_advisers(path: Path, echo: Callable[[str], None]) -> None:
    """Add the advisers' side tables (timed: a one-off back-fill) and two dossiers, once per store."""
    begin = time.perf_counter()
    ensure_schema(path, BENCH_ACCOUNT)
    echo(f"advisers' side tables ready in {time.perf_counter() - begin:.1f} s")
    begin = time.perf_counter()
    if _bench_dossiers(path):
        echo(f"two dossiers saved (membership back-filled) in {time.perf_counter() - begin:.1f} s")


def _bench_dossiers(path: Path) -> bool:
    """Save the two bench dossiers unless the store has dossiers; True when it saved them."""
    conn = connect(path, readonly=True)
    try:
        has = queries._scalar(conn, "SELECT COUNT(*) FROM dossiers")
    finally:
        conn.close()
    if has:
        return False
    save_dossier(path, Dossier(name="Lantaarnpalen", keywords=("lantaarnpaal", "kapot"), topics=("openbare_ruimte",)))
    save_dossier(path, Dossier(name="Wachttijd 30 dagen", keywords=("wachttijd",), channels=("twitter", "facebook"),
                               start=time.time() - 30 * 86_400))
    return True


def endpoint_paths(dossier_ids: list[int], newest: float) -> list[str]:
    """Every dashboard request to time: the live page's endpoints per period with its drill-down filters (a bar,
    a topic, sentiment + channel + neighbourhood, free text, paging) and with a selection, and the advisers' pages
    with theirs."""
    day_ago, hour = int(newest) - 86_400, 3_600 * (int(newest) // 3_600 - 30 * 24)
    paths = ["/api/meta", "/api/health"]
    for window in ("1h", "24h", "7d", "all"):
        paths += [f"/api/summary?period={window}", f"/api/volume?period={window}&by=channel",
                  f"/api/volume?period={window}&by=topic", f"/api/sentiment?period={window}",
                  f"/api/zero-results?period={window}", f"/api/signals?period={window}&limit=30",
                  f"/api/signals?period={window}&limit=30&q=lantaarnpaal%20kapot&channel=twitter",
                  f"/api/signals?period={window}&limit=30&q=zzz_no_match"]
    paths += ["/api/signals?period=all&limit=30&topic=afval",
              f"/api/signals?period=all&limit=30&topic=afval&before={day_ago}&before_id=twitter:0",
              f"/api/signals?period=all&limit=30&from={hour}&to={hour + 86_400}",
              f"/api/signals?period=7d&limit=30&sentiment=positive&channel=facebook&place={SAMPLE_PLACES[0]}",
              "/api/signals?period=all&limit=30&q=wachttijd",
              "/api/signals?period=all&limit=30&term=wachttijd&sentiment=negative",
              "/api/signals?period=all&limit=30&term=zzz_no_term",
              "/api/dossiers", "/api/whats-new?hours=24", "/api/whats-new?hours=48",
              f"/api/signals?from={day_ago}&to={int(newest) + 1}&term=wachttijd&limit=30",
              f"/api/signals?from={day_ago}&to={int(newest) + 1}&topic=afval&limit=30",
              "/api/attention?limit=200", "/api/attention?limit=200&channel=call_note", "/api/digest"]
    for window in ("24h", "7d"):   # a clicked topic or neighbourhood filters the whole live page
        for chosen in ("topic=afval", f"place={SAMPLE_PLACES[0]}"):
            paths += [f"/api/summary?period={window}&{chosen}", f"/api/volume?period={window}&by=channel&{chosen}",
                      f"/api/volume?period={window}&by=topic&{chosen}", f"/api/sentiment?period={window}&{chosen}",
                      f"/api/zero-results?period={window}&{chosen}"]
    for sid in dossier_ids:
        paths += [f"/api/dossiers/{sid}", f"/api/signals?dossier={sid}&limit=30",
                  f"/api/signals?dossier={sid}&limit=30&sentiment=negative&channel=twitter",
                  f"/api/signals?dossier={sid}&limit=30&term=wachttijd",
                  f"/api/signals?dossier={sid}&limit=30&from={day_ago - 86_400}&to={day_ago}"]
    return paths


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of `values` (share 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def time_endpoints(path: Path, samples: int = 10) -> dict[str, tuple[float, float]]:
    """(p50, p95) milliseconds of every endpoint over HTTP against a real server on the store at `path`."""
    from pipeline.apps.dashboard.app import create_app
    from pipeline.apps.dashboard.server import DashboardServer

    server = DashboardServer(create_app(path, Settings()), "127.0.0.1", 0)
    server.start()
    results: dict[str, tuple[float, float]] = {}
    try:
        with httpx.Client(base_url=server.url.rstrip("/"), timeout=60) as http:
            ids = [d["id"] for d in http.get("/api/dossiers").json()["dossiers"]]
            newest = http.get("/api/summary?period=1h").json()["newest_ts"]
            for url in endpoint_paths(ids, newest):
                times = []
                for _ in range(samples):
                    begin = time.perf_counter()
                    response = http.get(url)
                    times.append((time.perf_counter() - begin) * 1000)
                    if response.status_code != 200:
                        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:200]}")
                results[url] = (percentile(times, 0.5), percentile(times, 0.95))
    finally:
        server.stop()
    return results


def run_benchmark(path: Path, n: int, echo: Callable[[str], None] = print, repeats: int = 3,
                  writes: int = 0) -> dict[str, float]:
    """Build (or reuse) a store of `n` signals at `path`, time the queries and the endpoints, one line each.

    With `writes`, also time writing that many new docs into an empty store and into the large one (which
    keeps them), both with the advisers' side tables.
    """
    if not path.exists():
        echo(f"building a synthetic store of {n:,} signals at {path} ...")
        begin = time.perf_counter()
        build_bulk_store(path, n, BENCH_ACCOUNT, echo=echo)
        echo(f"built in {time.perf_counter() - begin:.1f} s")
    echo(f"store size: {store_size(path) / 1e9:.2f} GB ({n:,} signals)")
    prepare_advisers(path, echo)
    results = time_queries(path, repeats)
    for name, ms in results.items():
        echo(f"{name:<28} {ms:8.1f} ms")
    endpoints = time_endpoints(path, max(5, repeats * 4))
    for url, (p50, p95) in endpoints.items():
        echo(f"GET {url:<72} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")
    if writes:
        with tempfile.TemporaryDirectory(prefix="stadssignaal-writes-") as folder:
            empty = Path(folder) / "empty.db"
            SqliteStore(empty).close()
            echo(f"writes into an empty store: {time_writes(empty, writes):,.0f} docs/s ({writes:,} docs)")
        tag = f"w{int(time.time())}-"
        echo(f"writes into the {n:,}-signal store: {time_writes(path, writes, id_prefix=tag):,.0f} docs/s "
             f"({writes:,} docs, kept)")
    slowest = max([*results.values(), *(p95 for _p50, p95 in endpoints.values())])
    echo(f"slowest: {slowest:.1f} ms (target: 300 ms per query and per request at p95)")
    return results

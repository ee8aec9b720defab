"""`stadssignaal bench --kafka`: signals/s end to end through a real Kafka wire protocol (the mock broker).

For one and for two workers: start librdkafka's mock cluster, create the topics, start the workers as
child processes, warm them up, then time the replay connector sending N generated signals until all N
are in the SQLite store (producing the input is inside the timed phase). The local runner processes
the same file for comparison, with the spike detector (as `stadssignaal run` does, and as the workers do),
before and after the Kafka runs. Then a scripted failover: two workers, one SIGKILLed at 30% and restarted;
the windowed counts are compared with the store (over- and under-count, 0 expected) and the takeover time
is measured.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from pipeline.bench.kafka_failover import streams_owned
from pipeline.bench.kafka_workers import WorkerProcess, replay, stop_all, stored_count, wait_until, worker_env
from pipeline.core.settings import Settings
from pipeline.runners.kafka.config import KafkaSettings

log = logging.getLogger(__name__)

WARMUP_SIGNALS = 200
START_TIMEOUT = 120.0
RATIO_TARGETS = {"1w/local": 0.8, "2w/1w": 1.4}   # the throughput targets the ratios are printed against


def load_average() -> str:
    """The 1, 5 and 15 minute load averages as text ('n/a' where the platform has none)."""
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except (OSError, AttributeError):
        return "n/a"


def write_input(path: Path, n: int, prefix: str, seed: int = 17) -> int:
    """Write `n` generated demo signals with ids unique to `prefix`; returns how many."""
    from pipeline.sources.demo.generator import generate, write_jsonl

    signals = [dataclasses.replace(s, id=f"{s.channel}:{prefix}-{i}") for i, s in enumerate(generate(n, seed=seed))]
    return write_jsonl(path, signals)


def local_runner_rate(settings: Settings, path: Path, store: Path, detect: bool = True, warmup: Path | None = None
                      ) -> tuple[float, float, float]:
    """(signals/s, seconds, CPU microseconds per signal) of the local runner replaying `path` into a fresh SQLite
    store; `detect`: with the spike detector fed every batch (what `stadssignaal run` and the workers do);
    `warmup`: signals enriched first, untimed (models load lazily; the workers get the same warm-up)."""
    from pipeline.models.enricher_setup import enricher_for
    from pipeline.runners.local import AlertFeed, LocalRunner
    from pipeline.sinks.sqlite.sink import SqliteSink
    from pipeline.sources.replay import ReplaySource

    enricher = enricher_for(settings)
    if warmup is not None:
        warm_sink = SqliteSink(store.with_name(store.name + ".warmup")).open()
        LocalRunner(ReplaySource(warmup, batch_size=settings.batch_size), warm_sink, enricher).run()
        warm_sink.close()
    sink = SqliteSink(store).open()
    alerts = AlertFeed(sink) if detect else None
    runner = LocalRunner(ReplaySource(path, batch_size=settings.batch_size), sink, enricher, alerts=alerts)
    started, cpu = time.perf_counter(), time.process_time()
    stats = runner.run()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    sink.close()
    per_signal = cpu / stats.signals * 1e6 if stats.signals else 0.0
    return (stats.signals / elapsed if elapsed > 0 else 0.0), elapsed, per_signal


def connector_rate(path: Path, n: int, partitions: int, workdir: Path) -> tuple[float, float, float]:
    """(signals/s, seconds, CPU microseconds per signal of this process) of the replay connector alone sending
    `path` to a fresh mock broker with no worker reading: the producing part of every timed Kafka run. The
    CPU is the connector's and the in-process broker's together."""
    from pipeline.bench.kafka_broker import MockCluster
    from pipeline.runners.kafka.topics import create_on_mock

    workdir.mkdir(parents=True, exist_ok=True)
    with MockCluster(brokers=1) as cluster:
        settings = KafkaSettings(broker=cluster.bootstrap, partitions=partitions)
        create_on_mock(cluster, settings)
        started, cpu = time.perf_counter(), time.process_time()
        sent = replay(settings, path, workdir / "connector.cursor")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return (sent / elapsed if elapsed > 0 else 0.0), elapsed, (cpu / n * 1e6 if n else 0.0)


@dataclasses.dataclass
class KafkaRun:
    """What one timed run measured."""

    workers: int
    signals: int
    seconds: float
    complete: bool
    per_worker: list[int]
    cpu_seconds: float
    # per worker: the partitions of signals.raw and of the facts topic it owned, and what it counted and detected
    spread: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def cpu_us_per_signal(self) -> float:
        """Worker CPU time (all workers) per signal, in microseconds."""
        return self.cpu_seconds / self.signals * 1e6 if self.signals else 0.0

    @property
    def rate(self) -> float:
        """Signals per second end to end."""
        return self.signals / self.seconds if self.seconds > 0 else 0.0


def kafka_run(path: Path, n: int, workers: int, partitions: int, workdir: Path) -> KafkaRun:
    """Time `n` signals from the connector through `workers` workers into SQLite over the mock broker."""
    from pipeline.bench.kafka_broker import MockCluster
    from pipeline.runners.kafka.topics import create_on_mock

    workdir.mkdir(parents=True, exist_ok=True)
    store = workdir / "store.db"
    with MockCluster(brokers=1, initial_rebalance_delay_ms=3000) as cluster:
        settings = KafkaSettings(broker=cluster.bootstrap, partitions=partitions, sqlite_path=store)
        create_on_mock(cluster, settings)
        env = worker_env(cluster.bootstrap, store, partitions)
        procs = [WorkerProcess(f"worker{i + 1}", workdir, env).start() for i in range(workers)]
        try:
            def split() -> bool:
                """True when the workers own every partition of the raw and the facts topic between them, each
                worker some of the raw topic's (both consumer groups have settled)."""
                return all(p.partitions(settings.topic_raw) for p in procs) and streams_owned(procs, settings,
                                                                                             partitions)
            if not wait_until(split, START_TIMEOUT, 0.2):
                raise RuntimeError("workers did not get their partitions: " + procs[0].log_tail(800))
            warm = workdir / "warmup.jsonl"
            write_input(warm, WARMUP_SIGNALS, "warmup")
            replay(settings, warm, workdir / "warmup.cursor")
            if not wait_until(lambda: stored_count(store) >= WARMUP_SIGNALS, START_TIMEOUT, 0.1):
                raise RuntimeError("warm-up signals did not reach the store: " + procs[0].log_tail(800))
            cpu_before = sum(p.cpu_seconds() for p in procs)
            started = time.perf_counter()
            replay(settings, path, workdir / "bench.cursor")
            limit = max(120.0, n / 100.0)
            complete = wait_until(lambda: stored_count(store) >= WARMUP_SIGNALS + n, limit, 0.05)
            elapsed = time.perf_counter() - started
            cpu = sum(p.cpu_seconds() for p in procs) - cpu_before
            done = stored_count(store) - WARMUP_SIGNALS
            wait_until(lambda: sum(p.count("enriched") for p in procs) >= WARMUP_SIGNALS + n, 3, 0.2)
            per_worker = [p.count("enriched") for p in procs]
            spread = [{"raw": p.partitions(settings.topic_raw), "facts": p.partitions(settings.facts_topic),
                       "enriched": p.count("enriched"), "counted": p.count("counted"),
                       "detected": p.count("detected")} for p in procs]
        finally:
            stop_all(procs)
    return KafkaRun(workers, done, elapsed, complete, per_worker, cpu, spread)


def run_kafka_bench(settings: Settings, n: int = 20_000, partitions: int = 4, worker_counts: tuple[int, ...] = (1, 2),
                    echo: Callable[[str], Any] = print, failover: bool = True, rounds: int = 1) -> dict[str, Any]:
    """Measure and print the figures; returns them as a dict (never asserted in tests). With `rounds` > 1 the
    Kafka runs repeat, each round between two local runs, and the ratios are given per round and as medians."""
    from pipeline.bench.kafka_failover import count_report, failover_run

    workdir = Path(tempfile.mkdtemp(prefix="stadssignaal-bench-kafka-"))
    try:
        path = workdir / "input.jsonl"
        write_input(path, n, "bench")
        echo(f"Kafka benchmark: {n:,} generated signals, mock broker (librdkafka) with {partitions} partitions, "
             f"connector -> worker(s) -> SQLite" + (f", {rounds} rounds" if rounds > 1 else ""))
        echo(f"  timed, per run: the replay connector producing all {n:,} signals to {KafkaSettings().topic_raw} "
             f"(kafka-python, acks=all) -> broker -> worker(s) -> SQLite, until all {n:,} are in the store;")
        echo(f"  not timed: starting the broker and workers, partition assignment, {WARMUP_SIGNALS} warm-up signals. "
             f"Load average before: {load_average()}")
        # The local runner runs before and after each round of Kafka runs; the machine's load drifts, so a round's
        # ratios use the mean of the local runs on either side of it.
        warm = workdir / "local-warmup.jsonl"
        write_input(warm, WARMUP_SIGNALS, "local-warmup")
        local_runs = [local_runner_rate(settings, path, workdir / "local-0.db", warmup=warm)]
        _echo_local(echo, "before the Kafka runs", local_runs[0])
        c_rate, c_seconds, c_cpu = connector_rate(path, n, partitions, workdir / "connector")
        echo(f"  connector alone (no worker reading): {c_rate:8,.0f} signals/s ({c_seconds:.1f} s; CPU of connector "
             f"and in-process broker {c_cpu:,.0f} us/signal)")
        all_rounds: list[list[KafkaRun]] = []
        ratios: list[dict[str, float]] = []
        for number in range(1, rounds + 1):
            if rounds > 1:
                echo(f"  round {number} of {rounds}:")
            runs = []
            for workers in worker_counts:
                run = kafka_run(path, n, workers, partitions, workdir / f"kafka-{number}-{workers}")
                runs.append(run)
                _echo_run(echo, run, n)
            local_runs.append(local_runner_rate(settings, path, workdir / f"local-{number}.db", warmup=warm))
            _echo_local(echo, f"after round {number}" if rounds > 1 else "after the Kafka runs", local_runs[-1])
            local_rate = (local_runs[-2][0] + local_runs[-1][0]) / 2
            ratios.append(_round_ratios(runs, local_rate))
            _echo_ratios(echo, ratios[-1], "the mean of the local runs before and after")
            all_rounds.append(runs)
        if rounds > 1:
            medians = {key: statistics.median(r[key] for r in ratios) for key in ratios[0]}
            spreads = {key: (min(r[key] for r in ratios), max(r[key] for r in ratios)) for key in ratios[0]}
            echo(f"  medians over {rounds} rounds (lowest and highest round in brackets):")
            _echo_ratios(echo, medians, "each round's own local runs", spreads)
        figures: dict[str, Any] = {
            "signals": n, "partitions": partitions,
            "local_runs": [{"rate": r, "seconds": t, "cpu_us_per_signal": c} for r, t, c in local_runs],
            "connector": {"rate": c_rate, "seconds": c_seconds, "cpu_us_per_signal": c_cpu},
            "rounds": [{run.workers: {"rate": run.rate, "seconds": run.seconds, "complete": run.complete,
                                      "per_worker": run.per_worker, "cpu_us_per_signal": run.cpu_us_per_signal}
                        for run in runs} for runs in all_rounds],
            "ratios": ratios}
        if failover:
            crash = failover_run(path, n, workdir / "failover", partitions, kill_at=0.3)
            over, under = sum(crash.over.values()), sum(crash.under.values())
            takeover = "n/a" if crash.takeover_seconds is None else f"{crash.takeover_seconds:.1f} s"
            rejoin = "n/a" if crash.rejoin_seconds is None else f"{crash.rejoin_seconds:.1f} s"
            echo(f"  failover (2 workers, one SIGKILLed at 30% and restarted): stored {crash.stored:,} of {n:,}; "
                 f"takeover {takeover}, restarted worker back in {rejoin}; windowed counts against the store per "
                 f"(key, 15-minute window) within the tables' 2-day retention: over-count {over}, under-count "
                 f"{under} (0 and 0 expected; the count tables waited on {crash.counts_lag_seconds:.0f} s after "
                 f"the store was complete)")
            for line in count_report(crash):
                echo(f"    {line}")
            figures["failover"] = {"stored": crash.stored, "over": crash.over, "under": crash.under,
                                   "takeover_seconds": crash.takeover_seconds, "rejoin_seconds": crash.rejoin_seconds,
                                   "counts_lag_seconds": crash.counts_lag_seconds, "deleted": crash.deleted}
        echo(f"  load average after: {load_average()} (the machine's cores are shared; rates vary with load)")
        return figures
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _echo_run(echo: Callable[[str], Any], run: KafkaRun, n: int) -> None:
    """Print one Kafka run (and with several workers, what each owned)."""
    state = "" if run.complete else f"  INCOMPLETE: {run.signals:,} of {n:,} stored"
    echo(f"  {run.workers} worker{'s' if run.workers > 1 else ' '}: {run.rate:8,.0f} signals/s end to end "
         f"({run.seconds:.1f} s; enriched per worker {run.per_worker}; worker CPU "
         f"{run.cpu_us_per_signal:,.0f} us/signal){state}")
    if run.workers > 1:
        for i, owned in enumerate(run.spread, 1):
            echo(f"    worker {i}: {KafkaSettings().topic_raw} partitions {owned['raw']}, facts partitions "
                 f"{owned['facts']}; enriched {owned['enriched']:,}, counted {owned['counted']:,} (topic "
                 f"entries), fed {owned['detected']:,} signals to the spike detector")


def _echo_local(echo: Callable[[str], Any], when: str, run: tuple[float, float, float]) -> None:
    """Print one local runner measurement."""
    rate, seconds, cpu = run
    echo(f"  local runner, same input, with the spike detector, {when}: {rate:8,.0f} signals/s ({seconds:.1f} s; "
         f"CPU {cpu:,.0f} us/signal)")


def _round_ratios(runs: list[KafkaRun], local_rate: float) -> dict[str, float]:
    """A round's ratios: each worker count against the local runner, and 2 workers against 1."""
    rates = {run.workers: run.rate for run in runs}
    ratios = {f"{workers}w/local": rate / local_rate if local_rate else 0.0 for workers, rate in rates.items()}
    if rates.get(1) and 2 in rates:
        ratios["2w/1w"] = rates[2] / rates[1]
    return ratios


def _echo_ratios(echo: Callable[[str], Any], ratios: dict[str, float], against: str,
                 spreads: dict[str, tuple[float, float]] | None = None) -> None:
    """Print ratios (with their targets, and the lowest and highest round when given)."""
    for key, value in ratios.items():
        workers, _, base = key.partition("/")
        named = f"{workers[:-1]} worker{'' if workers == '1w' else 's'}"
        label = f"ratio {named} / 1 worker" if base == "1w" else f"ratio Kafka/local with {named}"
        notes = [] if base == "1w" else [f"against {against}"]
        if key in RATIO_TARGETS:
            notes.append(f"target >= {RATIO_TARGETS[key]}")
        spread = f" [{spreads[key][0]:.2f}-{spreads[key][1]:.2f}]" if spreads else ""
        echo(f"  {label}: {value:.2f}{spread}" + (f" ({'; '.join(notes)})" if notes else ""))

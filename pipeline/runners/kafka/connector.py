"""Source connectors: read a resumable source and produce raw signals to Kafka with kafka-python.

Each batch is sent (key = signal id, acks=all, retries), flushed, and every delivery confirmed before
the source cursor is saved; so a restarted connector resumes after the last acknowledged batch: it
never skips a signal and re-sends at most the one batch that was in flight (consumers deduplicate on id).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from pipeline.core.run_stats import RunStats
from pipeline.runners.kafka.codec import dead_letter_value, encode_key, encode_signal
from pipeline.runners.kafka.config import KafkaSettings
from pipeline.runners.kafka.topics import KAFKA_PYTHON_API_VERSION
from pipeline.sources.base import Source

log = logging.getLogger(__name__)


class ConnectorError(RuntimeError):
    """The broker did not acknowledge a batch; the cursor was not moved past it."""


class DeliveryFuture(Protocol):
    """What kafka-python's send() returns."""

    def get(self, timeout: float | None = None) -> Any:
        """Wait for the broker's acknowledgement (raises on failure)."""
        ...


class Producer(Protocol):
    """The part of kafka.KafkaProducer a connector uses."""

    def send(self, topic: str, value: bytes | None = None, key: bytes | None = None) -> DeliveryFuture:
        """Queue one record."""
        ...

    def flush(self, timeout: float | None = None) -> None:
        """Send everything queued."""
        ...

    def close(self, timeout: float | None = None) -> None:
        """Flush and release the connections."""
        ...


class CursorFile:
    """A source cursor in a small JSON file, replaced atomically (write, fsync, rename)."""

    def __init__(self, path: Path) -> None:
        """Keep the cursor in `path`."""
        self.path = Path(path)

    def load(self) -> dict[str, Any] | None:
        """The saved cursor, or None when there is none; an unreadable file is an error, not a fresh start."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text)
        except ValueError as err:
            raise ConnectorError(f"cursor file {self.path} is damaged ({err}); fix or delete it") from None
        cursor = data.get("cursor") if isinstance(data, dict) else None
        if cursor is not None and not isinstance(cursor, dict):
            raise ConnectorError(f"cursor file {self.path} does not hold a cursor object")
        return cursor

    def save(self, cursor: dict[str, Any], source: str) -> None:
        """Write the cursor durably."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        payload = json.dumps({"source": source, "cursor": cursor, "saved_at": time.time()}, sort_keys=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)


def cursor_path_for(state_dir: Path, source_name: str) -> Path:
    """A stable, readable file name per source (the name can hold a path)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", source_name).strip("_")[-60:]
    digest = hashlib.sha1(source_name.encode("utf-8")).hexdigest()[:10]
    return Path(state_dir) / f"{slug}-{digest}.json"


def checksums_in_c() -> bool:
    """True when kafka-python computes record-batch checksums (CRC-32C) with the `crc32c` C extension; without
    it, it computes them in pure Python, over every byte a connector sends (about 6 MB/s here)."""
    from kafka.record import util

    return getattr(util, "crc32c_c", None) is not None


def new_producer(settings: KafkaSettings, **overrides: Any) -> Any:
    """A kafka-python producer: acks from all in-sync replicas, retries, batching, fixed API version."""
    from kafka import KafkaProducer

    if not checksums_in_c():
        log.warning("kafka-python computes record checksums in pure Python, which makes connectors slow; "
                    "install the crc32c package (pip install 'kafka-python[crc32c]')")

    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "api_version": KAFKA_PYTHON_API_VERSION,
        "acks": "all",
        "retries": 10,
        "retry_backoff_ms": 200,
        "linger_ms": 10,
        "batch_size": 256 * 1024,
        "max_in_flight_requests_per_connection": 5,
        "request_timeout_ms": 30_000,
        "client_id": f"{settings.app_id}-connector",
    }
    options.update(overrides)
    return KafkaProducer(**options)


class Connector:
    """Moves one source into `signals.raw` (and its dead letters into `signals.deadletter`)."""

    def __init__(self, source: Source, producer: Producer, settings: KafkaSettings,
                 cursor_file: CursorFile | None = None) -> None:
        """Send `source` with `producer`; the cursor file defaults to one per source under the state dir."""
        self.source = source
        self.producer = producer
        self.settings = settings
        self.cursor_file = cursor_file or CursorFile(cursor_path_for(settings.connector_state_dir, source.name))
        self.stats = RunStats()

    def run(self, stop: threading.Event | None = None, max_batches: int | None = None,
            until_idle: bool = False) -> RunStats:
        """Send batches until the source ends, `stop` is set, `max_batches` batches were acknowledged,
        or (with `until_idle`) the source first has nothing new (an empty heartbeat batch)."""
        stop = stop or threading.Event()
        cursor = self.cursor_file.load()
        if cursor is not None:
            log.info("connector %s: resuming from %s", self.source.name, cursor)
        for batch in self.source.batches(cursor, stop):
            idle = not (batch.signals or batch.dead)
            if not idle:
                self._deliver(batch.signals, batch.dead)
                self.stats.batches += 1
            if batch.cursor != cursor:
                self.cursor_file.save(batch.cursor, self.source.name)
                cursor = batch.cursor
            if stop.is_set() or (until_idle and idle) or (
                    max_batches is not None and self.stats.batches >= max_batches):
                break
        log.info("connector %s: %d signals, %d dead letters in %d batches (%.1f s)", self.source.name,
                 self.stats.signals, self.stats.dead, self.stats.batches, self.stats.elapsed)
        return self.stats

    def _deliver(self, signals: list[Any], dead: list[Any]) -> None:
        """Send one batch and wait until the broker acknowledged every record; raise ConnectorError if not."""
        topic_raw, topic_dead = self.settings.topic_raw, self.settings.topic_deadletter
        try:
            futures = [self.producer.send(topic_raw, key=encode_key(s.id), value=encode_signal(s)) for s in signals]
            futures += [self.producer.send(topic_dead, key=None, value=dead_letter_value(d)) for d in dead]
            self.producer.flush(timeout=self.settings.produce_timeout)
            for future in futures:
                future.get(timeout=self.settings.produce_timeout)
        except Exception as err:  # noqa: BLE001 - any failure means: do not move the cursor
            raise ConnectorError(f"the broker did not acknowledge a batch of {len(signals)} signals "
                                 f"({type(err).__name__}: {err}); the cursor stays before it") from err
        for letter in dead:
            log.warning("dead letter from %s at %s: %s", letter.source, letter.position, letter.reason)
        self.stats.signals += len(signals)
        self.stats.dead += len(dead)

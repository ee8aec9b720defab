"""The Elasticsearch sink: buffered bulk indexing with retries, dead letters and back-pressure.

`write()` puts documents in a bounded buffer (blocking while it is full) and returns the dead
letters found so far; a background thread sends bulk requests when `batch_size` documents are
waiting or the oldest has waited `flush_interval` seconds. Documents leave the buffer only when
Elasticsearch accepted them or they became dead letters, so `flush()` returning means every
document written before it is indexed or dead-lettered.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from itertools import islice
from typing import Any, Iterable

from elastic_transport import TransportError
from elasticsearch import ApiError

from pipeline.core.retry import Backoff
from pipeline.core.signal import DeadLetter
from pipeline.enrich.pii.boundary import dead_letter
from pipeline.sinks.elasticsearch.bulk import BULK_FILTER_PATH, RETRYABLE_STATUS, BulkProtocolError, classify, encode_bulk
from pipeline.sinks.elasticsearch.client import build_client, request
from pipeline.sinks.elasticsearch.config import EsConfig
from pipeline.sinks.elasticsearch.documents import PREPARERS, DocumentError, PreparedDoc

log = logging.getLogger(__name__)

_ACTION_OVERHEAD = 96  # bytes per item for the action line, for memory accounting


class _Retryable(Exception):
    """The whole request failed in a way worth retrying (connection, timeout, 429, 5xx)."""


class _Permanent(Exception):
    """The whole request failed in a way that retrying cannot fix (auth, bad request)."""


class _TooLarge(Exception):
    """Elasticsearch refused the request body as too large (HTTP 413)."""


@dataclass(slots=True)
class _Pending:
    """A prepared document waiting in the buffer."""

    doc: PreparedDoc
    enqueued: float

    @property
    def size(self) -> int:
        """Bytes this document counts for in the buffer."""
        return len(self.doc.source) + _ACTION_OVERHEAD


class ElasticsearchSink:
    """Indexes enriched signals (kind='signals'), alerts ('alerts') or dead letters ('deadletters') into daily indices."""

    def __init__(self, config: EsConfig, kind: str = "signals", client: Any = None) -> None:
        """Start the background sender; `client` may be injected (tests), otherwise one is built."""
        if kind not in PREPARERS:
            raise ValueError(f"kind must be one of {', '.join(PREPARERS)}")
        self.config = config
        self.kind = kind
        self.prefix = config.prefix_for(kind)
        self.source_name = f"elasticsearch:{self.prefix}"
        self._prepare = PREPARERS[kind]
        self._client = client if client is not None else build_client(config)
        self._owns_client = client is None
        self._buffer: deque[_Pending] = deque()
        self._buffer_bytes = 0
        self._dead: list[DeadLetter] = []
        self._cond = threading.Condition()
        self._flush_waiters = 0
        self._closing = False
        self._closed = False
        self._abort = threading.Event()
        self._template_ok = not config.require_template
        self._last_full_warning = 0.0
        self.stats: dict[str, int] = {"indexed": 0, "dead": 0, "requests": 0, "retries": 0}
        self._thread = threading.Thread(target=self._run, name=f"es-sink-{kind}", daemon=True)
        self._thread.start()

    # ----------------------------------------------------------------- public interface

    def write(self, docs: Iterable[dict[str, Any]]) -> list[DeadLetter]:
        """Buffer `docs` for indexing, blocking while the buffer is full; return dead letters so far."""
        dead: list[DeadLetter] = []
        prepared: list[_Pending] = []
        for doc in docs:
            try:
                prepared.append(_Pending(self._prepare(doc, self.prefix), 0.0))
            except DocumentError as err:
                dead.append(self._dead_letter_for(doc, str(err)))
        with self._cond:
            if self._closing:
                dead.extend(self._dead_letter(p.doc, "the Elasticsearch sink is closed") for p in prepared)
                prepared = []
            for pending in prepared:
                self._wait_for_room(pending.size)
                if self._closing:
                    dead.append(self._dead_letter(pending.doc, "the Elasticsearch sink is closed"))
                    continue
                pending.enqueued = time.monotonic()
                self._buffer.append(pending)
                self._buffer_bytes += pending.size
                if len(self._buffer) == 1 or len(self._buffer) >= self.config.batch_size:
                    self._cond.notify_all()  # start the flush timer, or send a full batch
            self.stats["dead"] += len(dead)
            dead.extend(self._take_dead())
        return dead

    def flush(self) -> list[DeadLetter]:
        """Send everything buffered now and wait until it is indexed or dead-lettered."""
        with self._cond:
            self._flush_waiters += 1
            self._cond.notify_all()
            try:
                while self._buffer and self._thread.is_alive():
                    self._cond.wait(0.5)
            finally:
                self._flush_waiters -= 1
            return self._take_dead()

    def close(self, timeout: float | None = None) -> list[DeadLetter]:
        """Flush and stop; documents still unsent after `timeout` seconds become dead letters."""
        with self._cond:
            if self._closed:
                return self._take_dead()
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("Elasticsearch sink: %d documents not indexed within %ss of close; dead-lettering them",
                      len(self._buffer), timeout)
            self._abort.set()
            with self._cond:
                self._cond.notify_all()
            self._thread.join()
        with self._cond:
            self._closed = True
            leftovers = list(self._buffer)
            self._buffer.clear()
            self._buffer_bytes = 0
            for pending in leftovers:
                self._dead.append(self._dead_letter(pending.doc, "sink closed before Elasticsearch accepted it"))
            self.stats["dead"] += len(leftovers)
            dead = self._take_dead()
        if self._owns_client:
            try:
                self._client.close()
            except Exception:  # noqa: BLE001 - closing must never raise
                log.debug("closing the Elasticsearch client failed", exc_info=True)
        return dead

    def pending(self) -> int:
        """How many documents are buffered or in flight."""
        with self._cond:
            return len(self._buffer)

    def __enter__(self) -> "ElasticsearchSink":
        """Use the sink in a `with` block; it is closed on exit."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the sink, logging any dead letters the caller did not collect."""
        dead = self.close()
        if dead:
            log.error("Elasticsearch sink closed with %d dead letters not collected by the caller", len(dead))

    # ----------------------------------------------------------------- buffer helpers

    def _wait_for_room(self, size: int) -> None:
        """Block (with the lock released) while adding `size` bytes would exceed a buffer limit."""
        while self._buffer and not self._closing and (
                len(self._buffer) >= self.config.max_buffer
                or self._buffer_bytes + size > self.config.max_buffer_bytes):
            now = time.monotonic()
            if now - self._last_full_warning > 10:
                self._last_full_warning = now
                log.warning("Elasticsearch sink buffer full (%d documents); waiting for Elasticsearch",
                            len(self._buffer))
            self._cond.notify_all()
            self._cond.wait(0.5)

    def _take_dead(self) -> list[DeadLetter]:
        """Hand over the collected dead letters (call with the lock held)."""
        dead, self._dead = self._dead, []
        return dead

    def _dead_letter(self, doc: PreparedDoc, reason: str) -> DeadLetter:
        """A dead letter for a prepared document, with its JSON as the raw record."""
        return dead_letter(self.source_name, doc.doc_id, reason, doc.source)

    def _dead_letter_for(self, doc: Any, reason: str) -> DeadLetter:
        """A dead letter for an input that could not even be prepared."""
        position = str(doc.get("id", "?"))[:200] if isinstance(doc, dict) else "?"
        return dead_letter(self.source_name, position, reason, repr(doc))

    def _ready(self) -> bool:
        """True when a batch should be sent now (full, flush requested, closing or timer due)."""
        if not self._buffer:
            return False
        if self._closing or self._flush_waiters or len(self._buffer) >= self.config.batch_size:
            return True
        return time.monotonic() - self._buffer[0].enqueued >= self.config.flush_interval

    def _next_batch(self) -> list[_Pending]:
        """The oldest buffered documents, up to batch_size and max_batch_bytes."""
        batch: list[_Pending] = []
        size = 0
        for pending in islice(self._buffer, self.config.batch_size):
            if batch and size + pending.size > self.config.max_batch_bytes:
                break
            batch.append(pending)
            size += pending.size
        return batch

    # ----------------------------------------------------------------- background thread

    def _run(self) -> None:
        """Background loop: wait for a batch, deliver it, then drop it from the buffer."""
        while True:
            with self._cond:
                while not self._ready():
                    if self._closing and not self._buffer:
                        return
                    wait = None
                    if self._buffer:
                        wait = max(0.0, self._buffer[0].enqueued + self.config.flush_interval - time.monotonic())
                    self._cond.wait(wait if wait is not None else 1.0)
                batch = self._next_batch()
            try:
                dead = self._deliver([p.doc for p in batch])
            except Exception as err:  # noqa: BLE001 - the thread must survive anything
                log.exception("Elasticsearch sink: unexpected error while sending a batch")
                dead = [self._dead_letter(p.doc, f"internal error in the sink: {err}") for p in batch]
            with self._cond:
                for _ in batch:
                    gone = self._buffer.popleft()
                    self._buffer_bytes -= gone.size
                self._dead.extend(dead)
                self.stats["dead"] += len(dead)
                self.stats["indexed"] += len(batch) - len(dead)
                self._cond.notify_all()

    def _pause(self, backoff: Backoff, reason: str) -> bool:
        """Wait before a retry; False when the retries are used up or the sink is aborting."""
        delay = backoff.next_delay()
        if backoff.exhausted() or self._abort.is_set():
            return False
        self.stats["retries"] += 1
        log.warning("Elasticsearch: %s; retry %d in %.2fs", reason, backoff.attempts, delay)
        return not self._abort.wait(delay)

    def _deliver(self, docs: list[PreparedDoc]) -> list[DeadLetter]:
        """Index `docs`, retrying what is retryable; return the ones that became dead letters."""
        backoff = Backoff(initial=self.config.backoff_initial, maximum=self.config.backoff_max, jitter=0.2,
                          max_retries=self.config.max_retries)
        pending = docs
        dead: list[DeadLetter] = []
        while pending:
            if self._abort.is_set():
                return dead + [self._dead_letter(d, "sink closed before Elasticsearch accepted it") for d in pending]
            try:
                self._ensure_template()
                outcome = self._post(pending)
            except _TooLarge:
                if len(pending) == 1:
                    return dead + [self._dead_letter(pending[0], "HTTP 413: document too large for Elasticsearch")]
                half = len(pending) // 2
                log.warning("Elasticsearch refused %d documents as too large; splitting the batch", len(pending))
                return dead + self._deliver(pending[:half]) + self._deliver(pending[half:])
            except _Permanent as err:
                log.error("Elasticsearch refused a bulk request of %d documents: %s", len(pending), err)
                return dead + [self._dead_letter(d, str(err)) for d in pending]
            except _Retryable as err:
                if not self._pause(backoff, str(err)):
                    return dead + [self._dead_letter(d, f"gave up after {backoff.attempts} attempts: {err}")
                                   for d in pending]
                continue
            for position, reason in outcome.failed:
                log.warning("Elasticsearch rejected %s: %s", pending[position].doc_id, reason)
                dead.append(self._dead_letter(pending[position], reason))
            if not outcome.retry:
                return dead
            if outcome.ok:
                backoff.reset()
            retry = [pending[position] for position, _ in outcome.retry]
            first_reason = outcome.retry[0][1]
            if not self._pause(backoff, f"{len(retry)} of {len(pending)} documents refused ({first_reason})"):
                return dead + [self._dead_letter(pending[p], f"gave up after {backoff.attempts} attempts: {r}")
                               for p, r in outcome.retry]
            pending = retry
        return dead

    def _ensure_template(self) -> None:
        """Before the first bulk, check `es setup` ran; otherwise indices would get dynamic mappings."""
        if self._template_ok:
            return
        try:
            response = request(self._client, "HEAD", f"/_index_template/{self.prefix}")
            status = response.meta.status
        except Exception as err:  # noqa: BLE001 - classified below
            status = getattr(getattr(err, "meta", None), "status", None)
            if status is None:
                raise _Retryable(f"connection problem: {type(err).__name__}: {err}") from None
        if status == 404:
            raise _Retryable(f"index template {self.prefix!r} is missing; run `stadssignaal es setup` first")
        if status in (401, 403):
            log.warning("cannot check the index template (HTTP %s); assuming `es setup` has run", status)
        elif status in RETRYABLE_STATUS:
            raise _Retryable(f"HTTP {status} while checking the index template")
        self._template_ok = True

    def _post(self, docs: list[PreparedDoc]) -> Any:
        """One bulk request; classify failures as retryable, permanent or too large."""
        body = encode_bulk(docs)
        self.stats["requests"] += 1
        try:
            response = request(self._client, "POST", "/_bulk", body=body,
                               params={"filter_path": BULK_FILTER_PATH}, ndjson=True)
        except ApiError as err:
            status = err.meta.status
            message = f"HTTP {status} {err.message}"
            if status == 413:
                raise _TooLarge(message) from None
            if status in RETRYABLE_STATUS:
                raise _Retryable(message) from None
            raise _Permanent(message) from None
        except TransportError as err:
            raise _Retryable(f"connection problem: {type(err).__name__}: {err.message}") from None
        try:
            return classify(response.body, docs)
        except BulkProtocolError as err:
            raise _Retryable(str(err)) from None

"""Background delivery: routes each alert event to the targets that want it and retries failures with
exponential backoff in one worker thread, so the pipeline never waits for a webhook or mail server."""
from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from pipeline.alerts.model import AlertEvent
from pipeline.core.retry import exponential_delay
from pipeline.notify.config import NotifyConfig
from pipeline.notify.notifiers import Notifier, build_notifiers
from pipeline.notify.transport import DeliveryError

log = logging.getLogger(__name__)


@dataclass(order=True, slots=True)
class _Job:
    """One delivery attempt waiting in the queue."""

    due: float
    seq: int
    notifier: Notifier = field(compare=False)
    event: AlertEvent = field(compare=False)
    attempt: int = field(default=1, compare=False)


class AlertDispatcher:
    """submit() returns at once; a daemon thread delivers, retries and logs. Never raises to the caller."""

    def __init__(self, config: NotifyConfig, notifiers: list[Notifier] | None = None) -> None:
        """Deliver to `notifiers` (default: built from the config); no thread runs until the first submit."""
        self.config = config
        self.notifiers = build_notifiers(config) if notifiers is None else notifiers
        self.stats: Counter[str] = Counter()
        self._queue: list[_Job] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._busy = 0
        self._stopping = False
        self._thread: threading.Thread | None = None

    def submit(self, events: Iterable[AlertEvent]) -> int:
        """Queue every (event, target) pair the routing asks for; returns how many were queued."""
        queued = 0
        try:
            with self._cond:
                for event in events:
                    for notifier in self.notifiers:
                        if not notifier.target.wants(event.alert.topic, event.kind, event.alert.severity):
                            continue
                        if len(self._queue) + self._busy >= self.config.queue_size:
                            self.stats["dropped"] += 1
                            log.error("notify: queue full (%d); dropped %s %s for %s", self.config.queue_size,
                                      event.kind, event.alert.id, notifier.target.name)
                            continue
                        heapq.heappush(self._queue, _Job(time.monotonic(), next(self._seq), notifier, event))
                        queued += 1
                if queued:
                    self._ensure_thread()
                    self._cond.notify_all()
        except Exception:  # the pipeline must never fail because of notifications
            log.exception("notify: could not queue alert events")
        return queued

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is queued or in flight (retries included); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.1))
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what can be delivered within `timeout`, then stop the worker."""
        if not self.flush(timeout):
            log.warning("notify: %d deliveries still pending at shutdown; they are dropped", len(self._queue))
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=max(timeout, 1.0))

    def _ensure_thread(self) -> None:
        """Start the worker thread when it is not running."""
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="stadssignaal-notify", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        """The worker: take due jobs and deliver them until stopped."""
        while True:
            with self._cond:
                while not self._stopping and (not self._queue or self._queue[0].due > time.monotonic()):
                    wait = None if not self._queue else max(0.0, self._queue[0].due - time.monotonic())
                    self._cond.wait(wait)
                if self._stopping:
                    return
                job = heapq.heappop(self._queue)
                self._busy += 1
            try:
                self._deliver(job)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _deliver(self, job: _Job) -> None:
        """Send one job; failures go to _failed."""
        name = job.notifier.target.name
        try:
            job.notifier.send(job.event)
        except DeliveryError as err:
            self._failed(job, str(err), err.retryable)
            return
        except Exception as err:  # a bug in a payload builder must not kill the worker
            log.exception("notify: unexpected error for %s", name)
            self._failed(job, f"{type(err).__name__}: {err}", False)
            return
        self.stats["sent"] += 1
        log.info("notify: sent %s %s to %s (attempt %d)", job.event.kind, job.event.alert.id, name, job.attempt)

    def _failed(self, job: _Job, reason: str, retryable: bool) -> None:
        """Schedule a retry with exponential backoff, or log that delivery is given up."""
        name = job.notifier.target.name
        if retryable and job.attempt < self.config.max_attempts:
            delay = exponential_delay(job.attempt, self.config.backoff_seconds, self.config.backoff_max_seconds)
            delay *= random.uniform(1.0, 1.1)
            self.stats["retried"] += 1
            log.warning("notify: %s %s to %s failed (attempt %d of %d): %s; retrying in %.1f s", job.event.kind,
                        job.event.alert.id, name, job.attempt, self.config.max_attempts, reason, delay)
            with self._cond:
                heapq.heappush(self._queue, _Job(time.monotonic() + delay, next(self._seq), job.notifier,
                                                 job.event, job.attempt + 1))
                self._cond.notify_all()
            return
        self.stats["failed"] += 1
        log.error("notify: giving up on %s %s to %s after %d attempt(s): %s", job.event.kind, job.event.alert.id,
                  name, job.attempt, reason)

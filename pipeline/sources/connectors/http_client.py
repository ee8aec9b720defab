"""Shared plumbing for platform connectors: clock, backoff, rate-limit waits, typed failures, the poll loop."""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Protocol

import httpx

from pipeline.core.retry import Backoff
from pipeline.core.signal import SourceBatch
from pipeline.enrich.pii.boundary import dead_letter

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 0.5
USER_AGENT = "stadssignaal-connector/1"
BODY_PREVIEW_CHARS = 300


class ConnectorError(Exception):
    """Base class of the failures a connector classifies a response into."""


class PermanentFailure(ConnectorError):
    """Retrying the same request will not help until an operator acts (and restarts the connector)."""


class AuthFailure(PermanentFailure):
    """The platform rejected the credentials or the permissions."""


class RateLimited(ConnectorError):
    """The platform asked us to slow down; `seconds` is how long to wait before the next request."""

    def __init__(self, message: str, seconds: float) -> None:
        """Keep the message and what the failure needs."""
        super().__init__(message)
        self.seconds = seconds


class TransientFailure(ConnectorError):
    """A server error or a network problem; retry after a backoff."""


class MalformedResponse(ConnectorError):
    """The body could not be decoded; it becomes a dead letter and the request is retried after a backoff."""

    def __init__(self, message: str, raw: str, position: str) -> None:
        """Keep the message and what the failure needs."""
        super().__init__(message)
        self.raw = raw
        self.position = position


class Clock:
    """Wall time, monotonic time and an interruptible wait; tests replace it with a fake that does not sleep."""

    def time(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def monotonic(self) -> float:
        """A clock that never goes backwards."""
        return time.monotonic()

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Wait up to `seconds` or until `stop` is set; True when stopped."""
        return stop.wait(max(0.0, seconds))


class StatusSink(Protocol):
    """What a connector reports to (pipeline.sources.connectors.status.StatusRecorder implements it)."""

    def polled(self, source: str, signals: int = 0, dead: int = 0, newest_item_at: float | None = None) -> None:
        """A request or stream read succeeded; counts of what it produced."""
        ...

    def failed(self, source: str, message: str) -> None:
        """A request failed; `message` says why in words an operator understands."""
        ...


class NullStatus:
    """A status sink that records nothing (the default when the runner passes none)."""

    def polled(self, source: str, signals: int = 0, dead: int = 0, newest_item_at: float | None = None) -> None:
        """Ignore a success."""

    def failed(self, source: str, message: str) -> None:
        """Ignore a failure."""


def seconds_until(reset_epoch: Any, clock: Clock, default: float, cap: float) -> float:
    """Seconds from now until an epoch-seconds reset header (plus a small margin), else `default`; capped."""
    try:
        reset = float(reset_epoch)
    except (TypeError, ValueError):
        return min(cap, default)
    wait = reset - clock.time() + 0.5
    if wait > cap:
        log.warning("rate-limit reset is %.0f s away; waiting the cap of %.0f s instead", wait, cap)
    return max(0.0, min(cap, wait))


def wait_with_heartbeats(stop: threading.Event, seconds: float, cursor: dict[str, Any], clock: Clock,
                         beat: float = HEARTBEAT_SECONDS) -> Iterator[SourceBatch]:
    """Wait `seconds`, yielding an empty batch (heartbeat) every `beat`; returns early when `stop` is set."""
    remaining = max(0.0, seconds)
    while remaining > 0 and not stop.is_set():
        step = min(beat, remaining)
        if clock.wait(stop, step):
            return
        remaining -= step
        yield SourceBatch([], [], dict(cursor))


def body_preview(text: str, limit: int = BODY_PREVIEW_CHARS) -> str:
    """The start of a response body on one line, for error messages."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "..."


def decode_json(response: httpx.Response, position: str) -> Any:
    """The JSON body of a response, or raise MalformedResponse with the raw body kept for the dead letter."""
    text = response.text
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        reason = f"malformed JSON from {position}: {getattr(err, 'msg', err)}"
        raise MalformedResponse(reason, text, position) from None


def build_client(base_url: str, token: str | None, timeout: float,
                 extra_headers: dict[str, str] | None = None) -> httpx.Client:
    """An httpx client for one API: base URL, Bearer token (if given), timeouts, our user agent."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    headers.update(extra_headers or {})
    return httpx.Client(base_url=base_url, headers=headers,
                        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)))


def send(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """Send one request; network problems become TransientFailure naming the endpoint (never the query or token)."""
    where = f"{client.base_url}{url}" if not url.startswith("http") else url
    where = where.split("?", 1)[0]
    try:
        return client.request(method, url, **kwargs)
    except httpx.TimeoutException as err:
        raise TransientFailure(f"timeout talking to {where}: {type(err).__name__}") from None
    except httpx.HTTPError as err:
        raise TransientFailure(f"network error talking to {where}: {type(err).__name__}") from None


PollFunction = Callable[[dict[str, Any]], Iterator[SourceBatch]]


@dataclass
class PollPolicy:
    """How a poll loop paces itself: interval between polls, backoff for failures, cap on rate-limit waits."""

    interval: float = 60.0
    backoff_initial: float = 5.0
    backoff_maximum: float = 320.0
    once: bool = False
    once_max_failures: int = 5


def poll_forever(name: str, poll: PollFunction, cursor: dict[str, Any], stop: threading.Event,
                 policy: PollPolicy, clock: Clock, status: StatusSink) -> Iterator[SourceBatch]:
    """Run `poll(cursor)` again and again, handling failures the same way for every polled connector.

    Rate limits wait until the reset; server errors and malformed bodies back off and retry from the last
    cursor yielded (malformed bodies also become dead letters); an auth failure is recorded and the source
    idles with heartbeats until stopped, so a revoked token is never hammered. With `policy.once` the loop
    returns after one complete poll, the first permanent failure or `once_max_failures` failures in a row.
    """
    backoff = Backoff(initial=policy.backoff_initial, maximum=policy.backoff_maximum)
    failures = 0
    while not stop.is_set():
        if policy.once and failures >= policy.once_max_failures:
            log.error("%s: giving up this single poll after %d failures in a row", name, failures)
            return
        failures += 1
        try:
            for batch in poll(cursor):
                cursor = batch.cursor
                yield batch
                if stop.is_set():
                    return
            backoff.reset()
            failures = 0
            if policy.once:
                return
            yield from wait_with_heartbeats(stop, policy.interval, cursor, clock)
        except PermanentFailure as err:
            log.error("%s: %s; not retrying until restart", name, err)
            status.failed(name, str(err))
            if policy.once:
                return
            yield from wait_with_heartbeats(stop, float("inf"), cursor, clock)
            return
        except RateLimited as err:
            log.warning("%s: %s; waiting %.1f s", name, err, err.seconds)
            status.failed(name, f"{err} (waiting {err.seconds:.0f} s)")
            yield from wait_with_heartbeats(stop, err.seconds, cursor, clock)
        except MalformedResponse as err:
            delay = backoff.next_delay()
            log.error("%s: %s; dead letter written, retrying in %.1f s", name, err, delay)
            status.failed(name, str(err))
            letter = dead_letter(name, err.position, str(err), err.raw)
            yield SourceBatch([], [letter], dict(cursor))
            yield from wait_with_heartbeats(stop, delay, cursor, clock)
        except TransientFailure as err:
            delay = backoff.next_delay()
            log.warning("%s: %s; retrying in %.1f s", name, err, delay)
            status.failed(name, str(err))
            yield from wait_with_heartbeats(stop, delay, cursor, clock)

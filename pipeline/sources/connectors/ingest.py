"""Authenticated HTTP ingest of call notes pushed by a contact-centre (KCC/CRM) system, as Starlette routes.

POST /ingest/call-notes with `Authorization: Bearer <token>` and a JSON batch (an array of notes or
{"notes": [...]}). Each note is mapped like a folder export (call_note_export), after renaming the pushing
system's field names by the configured mapping. Good notes of a mixed batch are accepted; bad ones are
reported by index with the reason. `IngestQueue` turns the endpoint into a Source for the local runner.
The bearer token is this route's own access rule: mounted in the dashboard, the login gate and the
cross-site checks leave it alone (the token is not an ambient browser credential), and the body is read
as it streams, refused past MAX_BODY_BYTES.
"""
from __future__ import annotations

import hmac
import json
import logging
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from pipeline.core.signal import InvalidSignal, RawSignal, SourceBatch
from pipeline.sources.call_note_export import FIELD_ALIASES, map_call_note, normalise_key

log = logging.getLogger(__name__)

INGEST_PATH = "/ingest/call-notes"
MAX_BODY_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_BATCH = 1000
UNAUTHORIZED = {"error": "unauthorized: send a valid token as 'Authorization: Bearer <token>'"}


class StoreUnavailable(RuntimeError):
    """The receiver could not take the notes (e.g. the store is busy or the runner is not consuming)."""


def check_mapping(mapping: dict[str, str] | None) -> dict[str, str]:
    """Validate a field mapping {our field: their field}; raise ValueError naming unknown fields."""
    mapping = dict(mapping or {})
    unknown = sorted(set(mapping) - set(FIELD_ALIASES))
    if unknown:
        raise ValueError(f"unknown call-note field(s) in the mapping: {', '.join(unknown)}; "
                         f"known: {', '.join(FIELD_ALIASES)}")
    return {ours: normalise_key(theirs) for ours, theirs in mapping.items()}


def apply_mapping(record: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    """Rename the pushing system's fields to ours; a mapped field wins over any alias already present."""
    fields = {normalise_key(key): value for key, value in record.items()}
    for ours, theirs in mapping.items():
        if theirs in fields:
            value = fields.pop(theirs)
            for alias in FIELD_ALIASES[ours]:
                fields.pop(alias, None)
            fields[FIELD_ALIASES[ours][0]] = value
    return fields


def token_ok(header: str | None, tokens: list[str]) -> bool:
    """True when the Authorization header carries one of the tokens (constant-time comparison)."""
    if not header or not tokens:
        return False
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    candidate = given.strip().encode("utf-8", "replace")
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(candidate, token.encode("utf-8"))
    return matched


def parse_batch(body: bytes) -> list[Any]:
    """The notes of a request body, or raise ValueError saying what is wrong with it."""
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"the body is not valid JSON: {getattr(err, 'msg', err)}") from None
    if isinstance(document, dict) and isinstance(document.get("notes"), list):
        return document["notes"]
    if isinstance(document, list):
        return document
    raise ValueError('the body must be a JSON array of notes or an object {"notes": [...]}')


def map_batch(notes: list[Any], mapping: dict[str, str]) -> tuple[list[RawSignal], list[dict[str, Any]]]:
    """Map every note; return the signals and the rejections [{"index", "reason"}]."""
    signals: list[RawSignal] = []
    rejected: list[dict[str, Any]] = []
    for index, note in enumerate(notes):
        try:
            if not isinstance(note, dict):
                raise InvalidSignal(f"a note must be a JSON object, got {type(note).__name__}")
            content = json.dumps(note, sort_keys=True, ensure_ascii=False, default=str)
            signals.append(map_call_note(apply_mapping(note, mapping), "ingest", content))
        except InvalidSignal as err:
            rejected.append({"index": index, "reason": err.reason})
    return signals, rejected


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The request body read as it streams in, or None once it passes `limit` bytes (the rest is never read)."""
    declared = request.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def ingest_routes(on_signals: Callable[[list[RawSignal]], None], tokens: list[str],
                  mapping: dict[str, str] | None = None, max_batch: int = DEFAULT_MAX_BATCH) -> list[BaseRoute]:
    """The POST /ingest/call-notes route; `on_signals` receives the good notes of each batch.

    `on_signals` should return only when the notes are safely stored (or raise: the client gets 503 and
    retries the whole batch; ids are stable, so retries never duplicate).
    """
    rename = check_mapping(mapping)
    accepted_tokens = [t for t in tokens if t]
    if not accepted_tokens:
        log.error("the call-note ingest endpoint has no tokens configured: every request will be refused")

    async def receive(request: Request) -> JSONResponse:
        """Check the token, parse and map the batch, hand on the good notes, report the bad ones."""
        if not token_ok(request.headers.get("authorization"), accepted_tokens):
            log.warning("ingest: refused a request without a valid token from %s",
                        request.client.host if request.client else "?")
            return JSONResponse(UNAUTHORIZED, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="stadssignaal"'})
        body = await _read_limited(request, MAX_BODY_BYTES)
        if body is None:
            return JSONResponse({"error": f"the body is larger than the limit of {MAX_BODY_BYTES} bytes"}, 413)
        try:
            notes = parse_batch(body)
        except ValueError as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        if len(notes) > max_batch:
            return JSONResponse({"error": f"{len(notes)} notes in one batch; the limit is {max_batch}"}, 413)
        signals, rejected = map_batch(notes, rename)
        if signals:
            try:
                await run_in_threadpool(on_signals, signals)  # may block until stored: keep the loop free
            except Exception as err:  # noqa: BLE001 - the client must hear that nothing was stored
                log.exception("ingest: storing %d notes failed", len(signals))
                return JSONResponse({"error": f"the notes could not be stored ({type(err).__name__}); nothing was "
                                              "accepted, please retry the batch"}, status_code=503)
        for item in rejected:
            log.warning("ingest: note %d rejected: %s", item["index"], item["reason"])
        status = 422 if rejected and not signals else 200
        return JSONResponse({"accepted": len(signals), "rejected": rejected, "ids": [s.id for s in signals]},
                            status_code=status)

    return [Route(INGEST_PATH, receive, methods=["POST"])]


@dataclass
class _Delivery:
    """One pushed batch waiting to be stored, with the event that acknowledges it."""
    signals: list[RawSignal]
    stored: threading.Event = field(default_factory=threading.Event)


class IngestQueue:
    """Bridges the endpoint to the local runner: a Source whose batches are the pushed notes.

    `on_signals` (pass it to `ingest_routes`) blocks until the runner asks for the next batch, which it
    only does after committing the previous one; so a 200 answer means the notes are stored.
    """

    def __init__(self, name: str = "ingest:call-notes", store_timeout: float = 30.0) -> None:
        """A bridge named `name`; pushers wait at most `store_timeout` seconds for the commit."""
        self.name = name
        self.store_timeout = store_timeout
        self._queue: queue.Queue[_Delivery] = queue.Queue(maxsize=100)
        self._consuming = threading.Event()

    def on_signals(self, signals: list[RawSignal]) -> None:
        """Hand a batch to the runner and wait until it is committed; raise StoreUnavailable on timeout."""
        if not self._consuming.wait(min(self.store_timeout, 10.0)):  # the pipeline may still be starting
            raise StoreUnavailable("the pipeline is not consuming pushed notes")
        delivery = _Delivery(signals)
        try:
            self._queue.put(delivery, timeout=self.store_timeout)
        except queue.Full:
            raise StoreUnavailable("the pipeline is too busy to take more notes") from None
        if not delivery.stored.wait(self.store_timeout):
            raise StoreUnavailable("the notes were not stored in time")

    def batches(self, cursor: dict[str, Any] | None, stop: threading.Event) -> Iterator[SourceBatch]:
        """Yield pushed batches (heartbeats in between); a batch counts as stored when the next one is asked for."""
        self._consuming.set()
        received = 0 if not cursor else int(cursor.get("received", 0))
        pending: _Delivery | None = None
        try:
            while not stop.is_set():
                if pending is not None:
                    pending.stored.set()
                    pending = None
                try:
                    pending = self._queue.get(timeout=0.5)
                except queue.Empty:
                    yield SourceBatch([], [], {"received": received})
                    continue
                received += len(pending.signals)
                yield SourceBatch(pending.signals, [], {"received": received})
        finally:
            # A batch not acknowledged here may or may not be stored: its client gets 503 and retries,
            # which is safe because note ids are stable and the store upserts.
            self._consuming.clear()

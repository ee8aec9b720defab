"""Site-search tracking endpoint (Matomo-like): GET pixel and POST beacon turned into raw site_search signals.

GET  /track/search?q=parkeervergunning&category=parkeren&results=0   -> 1x1 GIF
POST /track/search  (JSON, form or text/plain body with the same fields) -> 204
Matomo's parameter names are accepted too: search, search_cat, search_count.
"""
from __future__ import annotations

import hashlib
import json
import logging
import uuid
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from pipeline.core.signal import InvalidSignal, RawSignal, utc_now, validate

log = logging.getLogger(__name__)

TRACK_PATH = "/track/search"
MAX_BODY_BYTES = 8_192
MAX_QUERY_CHARS = 500
MAX_CATEGORY_CHARS = 100
MAX_CLIENT_ID_CHARS = 200
QUERY_NAMES: tuple[str, ...] = ("q", "search", "keyword")
CATEGORY_NAMES: tuple[str, ...] = ("category", "search_cat")
RESULT_NAMES: tuple[str, ...] = ("results", "search_count")
# The smallest transparent GIF (43 bytes), answered to GET so an <img> pixel works.
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")

OnSignal = Callable[[RawSignal], None]


class BeaconError(ValueError):
    """A tracking request that cannot become a signal; the message is returned to the caller."""


def _first(fields: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    """The value of the first of `names` present in `fields` (None when none is)."""
    for name in names:
        if name in fields and fields[name] not in (None, ""):
            return fields[name]
    return None


def _result_count(value: Any) -> int | None:
    """A result count from a number or digit string; None when absent; BeaconError when malformed."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise BeaconError("results must be a whole number >= 0")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value < 0:
        raise BeaconError("results must be a whole number >= 0")
    return value


def signal_from_fields(fields: Mapping[str, Any]) -> RawSignal:
    """Build a raw site_search signal from tracking fields or raise BeaconError with the reason."""
    query = _first(fields, QUERY_NAMES)
    if not isinstance(query, str) or not query.strip():
        raise BeaconError("missing search text: give q (or search, keyword)")
    if len(query) > MAX_QUERY_CHARS:
        raise BeaconError(f"search text longer than {MAX_QUERY_CHARS} characters")
    meta: dict[str, Any] = {}
    results = _result_count(_first(fields, RESULT_NAMES))
    if results is not None:
        meta["results"] = results
    category = _first(fields, CATEGORY_NAMES)
    if category is not None:
        if not isinstance(category, str) or len(category) > MAX_CATEGORY_CHARS:
            raise BeaconError(f"category must be text of at most {MAX_CATEGORY_CHARS} characters")
        meta["category"] = category.strip()
    client_id = fields.get("id")
    if client_id is not None and (not isinstance(client_id, str) or len(client_id) > MAX_CLIENT_ID_CHARS):
        raise BeaconError(f"id must be text of at most {MAX_CLIENT_ID_CHARS} characters")
    suffix = hashlib.sha256(client_id.encode()).hexdigest()[:32] if client_id else uuid.uuid4().hex
    record = {"id": f"site_search:{suffix}", "channel": "site_search", "created_at": utc_now().isoformat(),
              "text": query.strip(), "meta": meta}
    try:
        return validate(record)
    except InvalidSignal as err:
        raise BeaconError(err.reason) from None


def _decode_body(body: bytes, content_type: str) -> dict[str, Any]:
    """Fields from a JSON, form-encoded or text/plain (JSON or form) beacon body."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BeaconError("body is not UTF-8") from None
    if "json" in content_type or (content_type.startswith("text/plain") and text.lstrip().startswith("{")):
        try:
            fields = json.loads(text)
        except json.JSONDecodeError as err:
            raise BeaconError(f"invalid JSON: {err.msg}") from None
        if not isinstance(fields, dict):
            raise BeaconError("JSON body must be an object")
        return fields
    return dict(parse_qsl(text, keep_blank_values=False))


def tracking_routes(on_signal: OnSignal, allow_origin: str = "*") -> list[BaseRoute]:
    """Starlette routes for the tracking endpoint; every accepted search is passed to `on_signal`."""
    cors = {"Access-Control-Allow-Origin": allow_origin, "Vary": "Origin"}

    def error(status: int, message: str) -> Response:
        """A JSON error answer with the CORS header."""
        return JSONResponse({"error": message}, status_code=status, headers=cors)

    async def deliver(fields: Mapping[str, Any]) -> Response | None:
        """Hand the signal to `on_signal` (in a worker thread); an error answer, or None on success."""
        try:
            signal = signal_from_fields(fields)
        except BeaconError as err:
            log.warning("tracking request rejected: %s", err)
            return error(400, str(err))
        try:
            await run_in_threadpool(on_signal, signal)
        except Exception:  # the receiver failed: tell the caller to retry, keep serving
            log.exception("tracking: could not hand over signal %s", signal.id)
            return error(503, "signal could not be stored; try again")
        return None

    async def track_get(request: Request) -> Response:
        """Pixel request: fields in the query string."""
        failed = await deliver(dict(request.query_params))
        if failed is not None:
            return failed
        return Response(PIXEL, media_type="image/gif", headers={**cors, "Cache-Control": "no-store"})

    async def track_post(request: Request) -> Response:
        """Beacon: fields in the body (JSON, form or text/plain), query-string fields as fallback."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return error(413, f"body larger than {MAX_BODY_BYTES} bytes")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return error(413, f"body larger than {MAX_BODY_BYTES} bytes")
        content_type = request.headers.get("content-type", "").lower()
        try:
            fields = {**dict(request.query_params), **(_decode_body(body, content_type) if body else {})}
        except BeaconError as err:
            log.warning("tracking beacon rejected: %s", err)
            return error(400, str(err))
        failed = await deliver(fields)
        return failed if failed is not None else Response(status_code=204, headers=cors)

    async def track_options(request: Request) -> Response:
        """CORS preflight for fetch() beacons with a JSON body."""
        return Response(status_code=204, headers={**cors, "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                                                  "Access-Control-Allow-Headers": "Content-Type",
                                                  "Access-Control-Max-Age": "86400"})

    async def track(request: Request) -> Response:
        """Dispatch on the HTTP method."""
        if request.method == "POST":
            return await track_post(request)
        if request.method == "OPTIONS":
            return await track_options(request)
        return await track_get(request)

    return [Route(TRACK_PATH, track, methods=["GET", "POST", "OPTIONS"], name="track_search")]

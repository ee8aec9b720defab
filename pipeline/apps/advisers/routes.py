"""Routes of the communication advisers' pages: dossiers, what's new, needs attention and the digest preview.

Pages `/dossiers`, `/dossiers/{id}`, `/nieuw`, `/aandacht` share `static/advisers.html`; their data comes from
JSON under `/api/` (read-only connections per request, like the rest of the dashboard). Creating and
deleting a dossier are the only writes; the dashboard's RequestGuard admits them only same-origin, as exactly
application/json and with the session's CSRF token; the route checks the media type and size again.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import time
from datetime import datetime, timezone
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from pipeline.apps.advisers import queries as dq
from pipeline.apps.advisers.digest import digest_data
from pipeline.apps.advisers.settings import advisers_settings
from pipeline.apps.dashboard import correction_queue
from pipeline.apps.dashboard.security import is_exactly, read_body
from pipeline.apps.pages import page_html
from pipeline.core.settings import Settings
from pipeline.core.signal import CHANNELS
from pipeline.sinks.sqlite.advisers import Dossier, SchemaKeeper, delete_dossier, save_dossier

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16_384
MAX_NAME_CHARS = 120
MAX_KEYWORDS = 20
NO_STORE = {"cache-control": "no-store"}


class BadDossier(ValueError):
    """A dossier definition the API refuses; the message says what is wrong."""


def _names(value: Any, field: str, allowed: Any = None, max_items: int = MAX_KEYWORDS) -> tuple[str, ...]:
    """A list of distinct non-empty strings (optionally from `allowed`); BadDossier otherwise."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = [part for part in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadDossier(f"{field} must be a list of strings")
    items = tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(items) > max_items:
        raise BadDossier(f"at most {max_items} {field}")
    if any(len(v) > 80 for v in items):
        raise BadDossier(f"{field}: each at most 80 characters")
    if allowed is not None:
        unknown = [v for v in items if v not in allowed]
        if unknown:
            raise BadDossier(f"unknown {field}: {', '.join(unknown)[:100]}")
    return items


def _moment(value: Any, field: str, end_of_day: bool = False) -> float | None:
    """An ISO date or date-time (UTC unless an offset is given) or unix seconds, as unix seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        raise BadDossier(f"{field} must be a date")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadDossier(f"{field} is not a date (YYYY-MM-DD)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    stamp = moment.timestamp()
    if end_of_day and len(value.strip()) == 10:
        stamp += 86_400  # a date as end means "through that day"
    return stamp


def parse_dossier(data: Any, places: list[str]) -> Dossier:
    """A Dossier from a JSON body {name, keywords, topics, channels, place, start, end}; BadDossier when invalid."""
    if not isinstance(data, dict):
        raise BadDossier("send the dossier as a JSON object")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise BadDossier("the dossier needs a name")
    if len(name) > MAX_NAME_CHARS:
        raise BadDossier(f"the name is longer than {MAX_NAME_CHARS} characters")
    keywords = tuple(k.lower() for k in _names(data.get("keywords"), "keywords"))
    topics = _names(data.get("topics"), "topics")
    if not keywords and not topics:
        raise BadDossier("give at least one keyword or topic")
    channels = _names(data.get("channels"), "channels", CHANNELS)
    place = data.get("place") or None
    if place is not None and (not isinstance(place, str) or place not in places):
        raise BadDossier("unknown neighbourhood")
    start = _moment(data.get("start"), "start")
    end = _moment(data.get("end"), "end", end_of_day=True)
    if start is not None and end is not None and end <= start:
        raise BadDossier("the period ends before it starts")
    return Dossier(name=name.strip(), keywords=keywords, topics=topics, channels=channels, place=place,
                   start=start, end=end)


def advisers_routes(reader: Any, settings: Settings, keeper: SchemaKeeper) -> list[BaseRoute]:
    """Pages and JSON endpoints of the advisers' features over the store `reader` opens."""
    adv = advisers_settings(settings)
    norms = dq.ServiceNorms(adv.call_back_hours, adv.mail_reply_hours, adv.social_reply_hours)

    def read(call: Any) -> Response:
        """Run `call(conn)` on a read-only connection; map errors to 400/404/503 JSON."""
        keeper.ensure()
        try:
            with reader.connection() as conn:
                return JSONResponse(call(conn), headers=NO_STORE)
        except LookupError as err:
            return JSONResponse({"error": str(err).strip("'\"")}, status_code=404, headers=NO_STORE)
        except ValueError as err:
            return JSONResponse({"error": str(err)}, status_code=400, headers=NO_STORE)
        except sqlite3.Error as err:
            log.error("advisers' query failed on %s: %s", reader.path, err)
            return JSONResponse({"error": "the store cannot be read right now; see the server log"}, status_code=503,
                                headers=NO_STORE)

    def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
        """A whole-number query parameter in [low, high]."""
        raw = request.query_params.get(name, "").strip()
        if not raw:
            return default
        if not raw.lstrip("-").isdigit() or not low <= int(raw) <= high:
            raise ValueError(f"{name} must be a whole number between {low} and {high}")
        return int(raw)

    async def show_page(request: Request) -> Response:
        """The advisers' page with its navigation entry marked (the script picks the view from the path)."""
        section = "/" + request.url.path.strip("/").split("/")[0]
        return HTMLResponse(page_html("advisers.html", settings.municipality, section), headers=NO_STORE)

    async def dossiers(request: Request) -> Response:
        """GET: every dossier; POST: create one from JSON."""
        if request.method == "GET":
            return await run_in_threadpool(read, lambda conn: {"dossiers": [d.to_dict() for d in dq.list_dossiers(conn)]})
        if not is_exactly(request.headers.get("content-type"), "application/json"):
            return JSONResponse({"error": "send the dossier as application/json"}, status_code=415, headers=NO_STORE)
        body = await read_body(request, MAX_BODY_BYTES)
        if body is None:
            return JSONResponse({"error": "body too large"}, status_code=413, headers=NO_STORE)
        try:
            dossier = parse_dossier(json.loads(body or b"{}"), list(settings.neighbourhoods))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return JSONResponse({"error": "body is not valid JSON"}, status_code=400, headers=NO_STORE)
        except BadDossier as err:
            return JSONResponse({"error": str(err)}, status_code=400, headers=NO_STORE)
        try:
            saved = await run_in_threadpool(save_dossier, reader.path, dossier)
        except sqlite3.Error as err:
            log.error("cannot save dossier in %s: %s", reader.path, err)
            return JSONResponse({"error": "the dossier cannot be saved; see the server log"}, status_code=503)
        await run_in_threadpool(keeper.ensure)
        return JSONResponse(saved.to_dict(), status_code=201, headers=NO_STORE)

    async def dossier(request: Request) -> Response:
        """GET: the dossier's report; DELETE: remove it."""
        try:
            dossier_id = int(request.path_params["dossier_id"])
        except ValueError:
            return JSONResponse({"error": "dossier id must be a number"}, status_code=400, headers=NO_STORE)
        if request.method == "DELETE":
            gone = await run_in_threadpool(delete_dossier, reader.path, dossier_id)
            return JSONResponse({"deleted": gone}, status_code=200 if gone else 404, headers=NO_STORE)

        def report(conn: Any) -> dict[str, Any]:
            """The report of one dossier."""
            found = dq.get_dossier(conn, dossier_id)
            if found is None:
                raise LookupError(f"no dossier with id {dossier_id}")
            return dq.dossier_report(conn, found)

        return await run_in_threadpool(read, report)

    async def whats_new(request: Request) -> Response:
        """GET /api/whats-new?hours=24: terms and topics rising against the same hours last week."""
        try:
            hours = int_param(request, "hours", 24, 1, dq.MAX_WHATS_NEW_HOURS)
        except ValueError as err:
            return JSONResponse({"error": str(err)}, status_code=400, headers=NO_STORE)
        return await run_in_threadpool(read, lambda conn: dq.whats_new(conn, hours))

    async def attention(request: Request) -> Response:
        """GET /api/attention?channel=&limit=: open messages addressed to the municipality, oldest first."""
        channel = request.query_params.get("channel") or None
        if channel is not None and channel not in CHANNELS:
            return JSONResponse({"error": "unknown channel"}, status_code=400, headers=NO_STORE)
        try:
            limit = int_param(request, "limit", 100, 1, 500)
        except ValueError as err:
            return JSONResponse({"error": str(err)}, status_code=400, headers=NO_STORE)
        def found(conn: Any) -> dict[str, Any]:
            """The open messages, each with its correction."""
            data = dq.needs_attention(conn, norms, channel=channel, limit=limit)
            correction_queue.attach(conn, data.get("items", []))
            return data

        return await run_in_threadpool(read, found)

    async def digest(request: Request) -> Response:
        """GET /api/digest: the daily digest's figures (24 hours up to the newest signal, and the day before)."""
        def build(conn: Any) -> dict[str, Any]:
            newest = dq.queries.store_span(conn)[1] if conn is not None else None
            end = (int(newest) + 1.0) if newest is not None else time.time()
            return digest_data(conn, end)

        return await run_in_threadpool(read, build)

    return [
        Route("/dossiers", show_page),
        Route("/dossiers/{dossier_id:int}", show_page),
        Route("/nieuw", show_page),
        Route("/aandacht", show_page),
        Route("/digest", show_page),
        Route("/api/digest", digest),
        Route("/api/dossiers", dossiers, methods=["GET", "POST"]),
        Route("/api/dossiers/{dossier_id}", dossier, methods=["GET", "DELETE"]),
        Route("/api/whats-new", whats_new),
        Route("/api/attention", attention),
    ]

"""Routes of the webteam's review page for zero-result searches, all under /review (page, assets, JSON, CSV).

Mount with `routes += review_routes(store_path)`; nothing here lives under /api/, so the dashboard's
own /api catch-all cannot shadow it. Every answer carries a strict Content-Security-Policy.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from pipeline.apps.dashboard.security import is_exactly, read_body
from pipeline.apps.pages import page_html
from pipeline.apps.webteam.periods import DEFAULT_WINDOW, WINDOWS, parse_end_day
from pipeline.apps.webteam.review import SORT_FIELDS, STATUS_FILTERS, GroupFilter, ReviewService
from pipeline.apps.webteam.summary import build_summary

log = logging.getLogger(__name__)

CSP = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
MAX_BODY_BYTES = 8_192


class BadRequest(ValueError):
    """A request the API refuses; the message goes back to the client with status 400."""


def _filter_from(request: Request) -> GroupFilter:
    """A GroupFilter from query parameters window, end, topic, status, sort, order; BadRequest when invalid."""
    params = request.query_params
    window = params.get("window") or DEFAULT_WINDOW
    if window not in WINDOWS:
        raise BadRequest(f"window must be one of {', '.join(WINDOWS)}")
    status = params.get("status") or "open"
    if status not in STATUS_FILTERS:
        raise BadRequest(f"status must be one of {', '.join(STATUS_FILTERS)}")
    sort = params.get("sort") or "zero_results"
    if sort not in SORT_FIELDS:
        raise BadRequest(f"sort must be one of {', '.join(SORT_FIELDS)}")
    order = params.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise BadRequest("order must be asc or desc")
    topic = (params.get("topic") or "").strip() or None
    if topic is not None and len(topic) > 40:
        raise BadRequest("topic too long")
    try:
        end = parse_end_day(params.get("end"))
    except ValueError as err:
        raise BadRequest(str(err)) from None
    return GroupFilter(window=window, end=end, topic=topic, status=status, sort=sort, descending=order == "desc")


def _guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Turn BadRequest/ValueError into 400 and unexpected errors into a logged 500, always as JSON."""
    async def endpoint(request: Request) -> Response:
        """The wrapped handler."""
        try:
            return await handler(request)
        except (BadRequest, ValueError) as err:
            return JSONResponse({"error": str(err)}, status_code=400, headers=HEADERS)
        except LookupError as err:
            return JSONResponse({"error": str(err).strip("'\"")}, status_code=404, headers=HEADERS)
        except Exception:
            log.exception("review page: %s %s failed", request.method, request.url.path)
            return JSONResponse({"error": "internal error; see the server log"}, status_code=500, headers=HEADERS)
    endpoint.__doc__ = handler.__doc__
    return endpoint


def review_routes(store_path: str | Path, service: ReviewService | None = None,
                  municipality: str = "") -> list[BaseRoute]:
    """The review page and its API over the SQLite store at `store_path`; its script and styles are served
    from the dashboard's /static like every page's."""
    reviews = service or ReviewService(store_path)

    async def page(request: Request) -> Response:
        """The review page (with the shared navigation)."""
        return HTMLResponse(page_html("review.html", municipality, "/review"), headers=HEADERS)

    async def groups(request: Request) -> Response:
        """Zero-result groups for the period, filtered and sorted."""
        flt = _filter_from(request)
        return JSONResponse(await run_in_threadpool(reviews.groups, flt), headers=HEADERS)

    async def variants(request: Request) -> Response:
        """The raw variants of one group."""
        group = request.query_params.get("group") or ""
        flt = _filter_from(request)
        result = await run_in_threadpool(reviews.variants, group, flt.window, flt.end)
        return JSONResponse(result, headers=HEADERS)

    async def set_status(request: Request) -> Response:
        """Store a decision: JSON body {group, status, note}; exactly application/json (the dashboard's
        RequestGuard also admits it only same-origin with the session's CSRF token)."""
        if not is_exactly(request.headers.get("content-type"), "application/json"):
            raise BadRequest("send the decision as application/json")
        body = await read_body(request, MAX_BODY_BYTES)
        if body is None:
            raise BadRequest(f"body larger than {MAX_BODY_BYTES} bytes")
        try:
            data: Any = json.loads(body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadRequest("body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadRequest("body must be a JSON object")
        stored = await run_in_threadpool(reviews.set_status, data.get("group"), str(data.get("status", "")),
                                         data.get("note") or "")
        return JSONResponse(stored, headers=HEADERS)

    async def export_csv(request: Request) -> Response:
        """The listed groups as a CSV download."""
        flt = _filter_from(request)
        text = await run_in_threadpool(reviews.csv_text, flt)
        name = f"zoektermen-zonder-resultaat-{flt.window}.csv"
        return Response("\ufeff" + text, media_type="text/csv; charset=utf-8",
                        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})

    async def summary(request: Request) -> Response:
        """The weekly summary (Markdown) for the week ending at `end` (default: the newest search's day)."""
        end = parse_end_day(request.query_params.get("end"))
        text = await run_in_threadpool(build_summary, reviews, end)
        return PlainTextResponse(text, media_type="text/markdown; charset=utf-8", headers=HEADERS)

    return [
        Route("/review", page, name="review_page"),
        Route("/review/api/groups", _guarded(groups)),
        Route("/review/api/variants", _guarded(variants)),
        Route("/review/api/status", _guarded(set_status), methods=["POST"]),
        Route("/review/api/export.csv", _guarded(export_csv)),
        Route("/review/api/summary", _guarded(summary)),
    ]

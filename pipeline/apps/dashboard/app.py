"""The dashboard web app: the page at /, static files, and JSON endpoints under /api/ over the SQLite store."""
from __future__ import annotations

import functools
import logging
import math
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.apps.advisers import queries as dossier_queries
from pipeline.apps.advisers.settings import advisers_settings, municipality_account
from pipeline.apps.dashboard import correction_queue, filtered, labels, queries
from pipeline.apps.dashboard.access import is_loopback, needs_login
from pipeline.apps.dashboard.login_gate import LoginGate
from pipeline.apps.dashboard.security import LOOPBACK_HOSTS, RequestGuard, host_name
from pipeline.apps.dashboard.sessions import SessionStore
from pipeline.apps.pages import page_html
from pipeline.apps.static_files import STATIC_DIR
from pipeline.core.settings import Settings
from pipeline.core.signal import CHANNELS
from pipeline.sinks.sqlite.advisers import SchemaKeeper
from pipeline.sinks.sqlite.store import connect

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                           "frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
POLL_SECONDS = 2
DEFAULT_WINDOW = "24h"
MAX_SIGNALS_PER_PAGE = 200


class BadParameter(ValueError):
    """A query parameter with a value the API does not accept; the message is shown to the client."""


class QueryParams:
    """Typed, validated access to a request's query parameters."""

    def __init__(self, request: Request) -> None:
        """Wrap the request's query parameters."""
        self._params = request.query_params

    def _raw(self, name: str) -> str | None:
        """The stripped value, or None when absent or blank."""
        value = self._params.get(name)
        return None if value is None or value.strip() == "" else value.strip()

    def choice(self, name: str, options: Any, default: str | None = None) -> str | None:
        """One of `options`, or `default` when absent."""
        value = self._raw(name)
        if value is None:
            return default
        if value not in options:
            raise BadParameter(f"{name} must be one of: {', '.join(sorted(options))}")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        """A whole number in [low, high], or `default` when absent."""
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise BadParameter(f"{name} must be a whole number") from None
        if not low <= number <= high:
            raise BadParameter(f"{name} must be between {low} and {high}")
        return number

    def number(self, name: str) -> float | None:
        """A finite number, or None when absent."""
        value = self._raw(name)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            raise BadParameter(f"{name} must be a number") from None
        if not math.isfinite(number):
            raise BadParameter(f"{name} must be a finite number")
        return number

    def text(self, name: str, max_chars: int) -> str | None:
        """Free text of at most `max_chars` characters, or None when absent or blank."""
        value = self._raw(name)
        if value is not None and len(value) > max_chars:
            raise BadParameter(f"{name} is longer than {max_chars} characters")
        return value


class StoreReader:
    """Opens a short-lived read-only connection per request; yields None while the store does not exist."""

    def __init__(self, path: Path) -> None:
        """Remember the store path; nothing is opened yet."""
        self.path = Path(path)

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection | None]:
        """A read-only connection to the store, or None when the file is not there (yet)."""
        if not self.path.is_file():
            yield None
            return
        conn = connect(self.path, readonly=True)
        try:
            yield conn
        finally:
            conn.close()


class SecurityHeaders:
    """ASGI middleware adding the CSP and related headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap the inner ASGI app."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on and add the headers to the response start message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            """Add the security headers the response does not set itself."""
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in names]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


Handler = Callable[[QueryParams, sqlite3.Connection | None], dict[str, Any]]


def _json(payload: dict[str, Any], status: int = 200) -> JSONResponse:
    """A JSON response that browsers and proxies do not cache."""
    return JSONResponse(payload, status_code=status, headers={"cache-control": "no-store"})


def api_endpoint(reader: StoreReader, handler: Handler) -> Callable[[Request], Response]:
    """Wrap a handler: parse parameters, open the store, map bad input to 400 and store errors to 503."""

    @functools.wraps(handler)
    def endpoint(request: Request) -> Response:
        """Run the handler on a fresh read-only connection (Starlette calls it in its thread pool)."""
        try:
            params = QueryParams(request)
            with reader.connection() as conn:
                return _json(handler(params, conn))
        except (BadParameter, ValueError) as err:
            return _json({"error": str(err)}, 400)
        except sqlite3.Error as err:
            log.error("dashboard query %s failed on %s: %s", request.url.path, reader.path, err)
            return _json({"error": "the store cannot be read right now; see the server log"}, 503)

    return endpoint


def _period(params: QueryParams, conn: sqlite3.Connection | None) -> queries.Period:
    """The Period named by the `period` parameter (default 24h)."""
    window = params.choice("period", queries.WINDOWS, DEFAULT_WINDOW)
    assert window is not None
    return queries.period(conn, window)


def _selection(params: QueryParams, p: queries.Period) -> queries.SignalFilter | None:
    """The live page's selection (channel, topic, sentiment, place, text, keyword, from/to) within the period,
    or None when nothing narrows it."""
    lower, upper = params.number("from"), params.number("to")
    found = queries.SignalFilter(
        channel=params.choice("channel", CHANNELS), topic=params.text("topic", 100),
        sentiment=params.choice("sentiment", queries.SENTIMENTS), q=params.text("q", 200),
        place=params.text("place", 100), term=params.text("term", 60),
        start=None if lower is None else max(lower, p.start), end=None if upper is None else min(upper, p.end))
    return found if filtered.is_selection(found, p.start, p.end) else None


def summary_payload(params: QueryParams, conn: sqlite3.Connection | None) -> dict[str, Any]:
    """GET /api/summary?period=[&channel=&topic=&sentiment=&place=&q=&term=&from=&to=]: totals for the period
    (for the selection when one is given)."""
    p = _period(params, conn)
    chosen = _selection(params, p)
    if chosen is not None:
        return {"period": p.to_dict(), **filtered.summary(conn, chosen, p.start, p.end)}
    return {"period": p.to_dict(), **queries.summary(conn, p.start, p.end)}


def volume_payload(params: QueryParams, conn: sqlite3.Connection | None) -> dict[str, Any]:
    """GET /api/volume?period=&by=channel|topic[&selection]: counts per bucket per channel or topic."""
    by = params.choice("by", ("channel", "topic"), "channel")
    assert by is not None
    p = _period(params, conn)
    chosen = _selection(params, p)
    if chosen is not None:
        return {"period": p.to_dict(), **filtered.volume(conn, by, chosen, p.start, p.end, p.bucket_seconds)}
    return {"period": p.to_dict(), **queries.volume(conn, by, p.start, p.end, p.bucket_seconds)}


def sentiment_payload(params: QueryParams, conn: sqlite3.Connection | None) -> dict[str, Any]:
    """GET /api/sentiment?period=[&selection]: negative/neutral/positive counts and shares per bucket."""
    p = _period(params, conn)
    chosen = _selection(params, p)
    if chosen is not None:
        return {"period": p.to_dict(), **filtered.sentiment_over_time(conn, chosen, p.start, p.end, p.bucket_seconds)}
    return {"period": p.to_dict(), **queries.sentiment_over_time(conn, p.start, p.end, p.bucket_seconds)}


def signals_payload(params: QueryParams, conn: sqlite3.Connection | None) -> dict[str, Any]:
    """GET /api/signals: latest signals with filters, newest first; page on with before/before_id.

    `from`/`to` (unix seconds, e.g. one bar of a time chart) narrow the time range further, `term` keeps
    signals with that keyword, `dossier` those of a saved dossier (within its period).
    """
    window = params.choice("period", queries.WINDOWS, None)
    p = queries.period(conn, window) if window else None
    start, end = (p.start, p.end) if p else (None, None)
    extra_sql, extra_params = None, ()
    dossier_id = params.integer("dossier", 0, 0, 2**62)
    if dossier_id:
        found = dossier_queries.get_dossier(conn, dossier_id)
        if found is None:
            raise BadParameter(f"no dossier with id {dossier_id}")
        d_start, d_end = dossier_queries.dossier_span(conn, found)
        start = d_start if start is None else max(start, d_start)
        end = d_end if end is None else min(end, d_end)
        sql, sql_params = dossier_queries.dossier_condition(conn, found, "signals", (start, end))
        extra_sql, extra_params = sql, tuple(sql_params)
    lower, upper = params.number("from"), params.number("to")
    if lower is not None:
        start = lower if start is None else max(start, lower)
    if upper is not None:
        end = upper if end is None else min(end, upper)
    filters = queries.SignalFilter(
        channel=params.choice("channel", CHANNELS),
        topic=params.text("topic", 100),
        sentiment=params.choice("sentiment", queries.SENTIMENTS),
        q=params.text("q", 200),
        place=params.text("place", 100),
        start=start,
        end=end,
        term=params.text("term", 60),
        extra_sql=extra_sql,
        extra_params=extra_params,
    )
    limit = params.integer("limit", 50, 1, MAX_SIGNALS_PER_PAGE)
    before_ts = params.number("before")
    before_id = params.text("before_id", 600)
    if before_id is not None and before_ts is None:
        raise BadParameter("before_id needs before (the ts of the same row)")
    before = None if before_ts is None else (before_ts, before_id)
    items = correction_queue.attach(conn, queries.latest(conn, filters, limit, before))
    return {"period": p.to_dict() if p else None, "signals": items, "limit": limit,
            "more": len(items) == limit}


def zero_results_payload(params: QueryParams, conn: sqlite3.Connection | None) -> dict[str, Any]:
    """GET /api/zero-results?period=&limit=[&selection]: top site-search groups without results."""
    p = _period(params, conn)
    limit = params.integer("limit", 10, 1, 100)
    chosen = _selection(params, p)
    if chosen is not None:
        return {"period": p.to_dict(), "groups": filtered.zero_result_searches(conn, chosen, p.start, p.end, limit)}
    return {"period": p.to_dict(), "groups": queries.zero_result_searches(conn, p.start, p.end, limit)}


def create_app(store_path: Path, settings: Settings | None = None,
               extra_routes: Sequence[BaseRoute] = (), require_login: bool = False,
               allowed_hosts: Sequence[str] | None = None) -> Starlette:
    """The dashboard app reading the store at `store_path` (which may not exist yet).

    `extra_routes` (e.g. the search review page's routes) are mounted before the /api and /static catch-alls.
    With `require_login` every page and API call needs a session (accounts or a trusted proxy header from
    the settings; ValueError when neither is configured). Every request passes the RequestGuard (same-origin
    JSON writes with a CSRF token, streamed body limits); `allowed_hosts` limits the Host header.
    """
    from pipeline.apps.advisers.routes import advisers_routes
    from pipeline.apps.dashboard.corrections_routes import corrections_routes

    settings = settings or Settings()
    reader = StoreReader(Path(store_path))
    keeper = SchemaKeeper(reader.path, municipality_account(settings))
    keeper.ensure()
    page = page_html("index.html", settings.municipality, "/")
    meta = {
        "municipality": settings.municipality,
        "places": list(settings.neighbourhoods),
        **labels.label_tables(),
        "default_window": DEFAULT_WINDOW,
        "poll_seconds": POLL_SECONDS,
    }

    def index(_request: Request) -> Response:
        """The dashboard page."""
        return HTMLResponse(page, headers={"cache-control": "no-store"})

    def meta_payload(_params: QueryParams, _conn: sqlite3.Connection | None) -> dict[str, Any]:
        """GET /api/meta: municipality, places, labels and the polling interval."""
        return meta

    def health(request: Request) -> Response:
        """GET /api/health: waiting (no store yet), ok, or error (503) with the reason."""
        if not reader.path.is_file():
            return _json({"status": "waiting", "store": str(reader.path), "detail": "the store does not exist yet"})
        try:
            with reader.connection() as conn:
                return _json({"status": "ok", "store": str(reader.path), **queries.store_status(conn)})
        except sqlite3.Error as err:
            log.error("health check cannot read %s: %s", reader.path, err)
            return _json({"status": "error", "store": str(reader.path), "detail": str(err)}, 503)

    def api_not_found(request: Request) -> Response:
        """Unknown /api/ paths: JSON 404."""
        return _json({"error": f"no such endpoint: {request.url.path}"}, 404)

    def favicon(_request: Request) -> Response:
        """Browsers ask /favicon.ico of pages that name no icon: send them to the SVG."""
        return RedirectResponse("/static/favicon.svg", status_code=301)

    routes = [
        Route("/", index),
        Route("/favicon.ico", favicon),
        Route("/api/health", health),
        Route("/api/meta", api_endpoint(reader, meta_payload)),
        Route("/api/summary", api_endpoint(reader, summary_payload)),
        Route("/api/volume", api_endpoint(reader, volume_payload)),
        Route("/api/sentiment", api_endpoint(reader, sentiment_payload)),
        Route("/api/signals", api_endpoint(reader, signals_payload)),
        Route("/api/zero-results", api_endpoint(reader, zero_results_payload)),
        *advisers_routes(reader, settings, keeper),
        *corrections_routes(reader, settings.municipality),
        *extra_routes,
        Route("/api/{rest:path}", api_not_found),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    adv = advisers_settings(settings)
    sessions = SessionStore(adv.dashboard_session_hours * 3_600, adv.dashboard_session_secret) if require_login else None
    middleware = [Middleware(SecurityHeaders),
                  Middleware(RequestGuard, sessions=sessions, public_origin=adv.dashboard_public_origin,
                             tls_proxy=adv.dashboard_tls_proxy, allowed_hosts=allowed_hosts,
                             proxy_header=adv.dashboard_proxy_user_header if require_login else None)]
    if require_login:
        if not adv.dashboard_accounts and not adv.dashboard_proxy_user_header:
            raise ValueError("login is required (the dashboard is bound to a non-local address) but no account is "
                             "configured: set dashboard_accounts (see `stadssignaal hash-password`) or "
                             "dashboard_proxy_user_header")
        middleware.append(Middleware(LoginGate, accounts=adv.dashboard_accounts, sessions=sessions,
                                     municipality=settings.municipality, proxy_header=adv.dashboard_proxy_user_header,
                                     secure_cookies=adv.dashboard_tls_proxy))
    app = Starlette(routes=routes, middleware=middleware)
    app.state.store_path = reader.path
    app.state.settings = settings
    app.state.require_login = require_login
    return app


def dashboard_hosts(host: str, settings: Settings) -> list[str] | None:
    """Host names the dashboard answers to: loopback names when bound there, the public origin's host when set."""
    origin = advisers_settings(settings).dashboard_public_origin
    if origin:
        return [host_name(origin.split("://", 1)[-1].split("/", 1)[0])]
    if is_loopback(host):
        return sorted(LOOPBACK_HOSTS | {host_name(host)})
    return None


def dashboard_app(store_path: Path, settings: Settings, host: str, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The dashboard app for a server bound to `host`: login required unless `host` is a loopback address;
    on loopback only loopback host names are answered (no DNS rebinding)."""
    return create_app(store_path, settings, extra_routes, require_login=needs_login(host),
                      allowed_hosts=dashboard_hosts(host, settings))

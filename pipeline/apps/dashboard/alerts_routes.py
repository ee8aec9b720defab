"""Routes of the duty officer's alerts page: the page, and a JSON API over the alert store with each alert's
curve and the notes colleagues left (acknowledge, close, remark)."""
from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from pipeline.apps.dashboard import alert_desk
from pipeline.apps.pages import page_html
from pipeline.sinks.sqlite.alerts import AlertStore
from pipeline.sinks.sqlite.store import connect

log = logging.getLogger(__name__)

MAX_LIMIT = 1000
MAX_BODY_BYTES = 8_192
LOCAL_ACCOUNT = "lokaal"  # who acts when the dashboard runs on this machine without login
NO_STORE = {"cache-control": "no-store"}


def _json(payload: Any, status: int = 200) -> JSONResponse:
    """A JSON answer that is never cached."""
    return JSONResponse(payload, status_code=status, headers=NO_STORE)


def _read(path: Path, call: Any) -> Any:
    """`call(store, conn)` on read-only handles, or `call(None, None)` when the store is missing or unreadable."""
    if not path.is_file():
        return call(None, None)
    try:
        store = AlertStore(path, readonly=True)
    except sqlite3.Error as err:
        log.error("alerts page: cannot open %s: %s", path, err)
        return call(None, None)
    conn = connect(path, readonly=True)
    try:
        return call(store, conn)
    finally:
        conn.close()
        store.close()


def account_of(request: Request) -> str:
    """The logged-in account (set by the login gate), else the local account."""
    return str(getattr(request.state, "account", "") or LOCAL_ACCOUNT)


def alerts_routes(store_path: str | Path, municipality: str = "") -> list[BaseRoute]:
    """Routes for /alerts (page), /api/alerts, /api/alerts/{id}, its /curve and its /notes."""
    path = Path(store_path)

    async def page(request: Request) -> Response:
        """The alerts page (with the shared navigation)."""
        return HTMLResponse(page_html("alerts.html", municipality, "/alerts"), headers=NO_STORE)

    async def list_alerts(request: Request) -> Response:
        """GET /api/alerts?topic=&status=open|closed&handling=new|acknowledged|closed&limit=: newest first."""
        params = request.query_params
        try:
            limit = min(max(int(params.get("limit", "100")), 1), MAX_LIMIT)
        except ValueError:
            return _json({"error": "limit must be a number"}, 400)
        status = params.get("status") or None
        if status not in (None, "open", "closed"):
            return _json({"error": "status must be open or closed"}, 400)
        handling = params.get("handling") or None
        if handling not in (None, *alert_desk.HANDLING.values()):
            return _json({"error": "handling must be new, acknowledged or closed"}, 400)
        topic = params.get("topic") or None

        def found(store: AlertStore | None, conn: sqlite3.Connection | None) -> list[dict[str, Any]]:
            """The alerts with their notes, filtered on handling after the notes are known."""
            if store is None:
                return []
            alerts = alert_desk.with_notes(conn, store.list(limit=MAX_LIMIT if handling else limit, topic=topic,
                                                            status=status))
            return [a for a in alerts if handling in (None, a["handling"])][:limit]

        alerts = await run_in_threadpool(_read, path, found)
        return _json({"alerts": alerts, "count": len(alerts)})

    def _one(alert_id: str) -> Any:
        """A reader of one alert with its notes (None when unknown)."""
        def call(store: AlertStore | None, conn: sqlite3.Connection | None) -> dict[str, Any] | None:
            alert = store.get(alert_id) if store is not None else None
            return alert_desk.with_notes(conn, [alert])[0] if alert is not None else None
        return call

    async def one_alert(request: Request) -> Response:
        """GET /api/alerts/{alert_id}: the alert with its notes."""
        found = await run_in_threadpool(_read, path, _one(request.path_params["alert_id"]))
        return _json(found) if found is not None else _json({"error": "alert not found"}, 404)

    async def alert_curve(request: Request) -> Response:
        """GET /api/alerts/{alert_id}/curve: observed and expected signals per quarter hour around the alert."""
        alert_id = request.path_params["alert_id"]

        def call(store: AlertStore | None, conn: sqlite3.Connection | None) -> dict[str, Any] | None:
            alert = store.get(alert_id) if store is not None else None
            return None if alert is None else alert_desk.curve(conn, alert)

        found = await run_in_threadpool(_read, path, call)
        return _json(found) if found is not None else _json({"error": "alert not found"}, 404)

    async def add_note(request: Request) -> Response:
        """POST /api/alerts/{alert_id}/notes {action: ack|close|reopen|note, note}: stored with time and account."""
        alert_id = request.path_params["alert_id"]
        if "application/json" not in request.headers.get("content-type", ""):
            return _json({"error": "send the note as application/json"}, 415)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _json({"error": "body too large"}, 413)
        try:
            data = json.loads(body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _json({"error": "body is not valid JSON"}, 400)
        if not isinstance(data, dict):
            return _json({"error": "body must be a JSON object"}, 400)
        if await run_in_threadpool(_read, path, _one(alert_id)) is None:
            return _json({"error": "alert not found"}, 404)
        try:
            stored = await run_in_threadpool(alert_desk.add_note, path, alert_id, str(data.get("action", "")),
                                             str(data.get("note") or ""), account_of(request))
        except alert_desk.BadNote as err:
            return _json({"error": str(err)}, 400)
        return _json(stored, 201)

    return [
        Route("/alerts", page, methods=["GET"], name="alerts_page"),
        Route("/api/alerts", list_alerts, methods=["GET"], name="alerts_api"),
        Route("/api/alerts/{alert_id:str}/curve", alert_curve, methods=["GET"]),
        Route("/api/alerts/{alert_id:str}/notes", add_note, methods=["POST"]),
        Route("/api/alerts/{alert_id:str}", one_alert, methods=["GET"], name="alert_api"),
    ]

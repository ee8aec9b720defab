"""Routes of the alerts view in the built-in dashboard: the page, its script, and a JSON API over the alert store."""
from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from pipeline.sinks.sqlite.alerts import AlertStore
from pipeline.apps.static_files import STATIC_DIR

log = logging.getLogger(__name__)

STATIC = STATIC_DIR
MAX_LIMIT = 1000


def _open(store_path: Path) -> AlertStore | None:
    """A read-only alert store, or None when the file is missing or unreadable."""
    if not store_path.is_file():
        return None
    try:
        return AlertStore(store_path, readonly=True)
    except sqlite3.Error as err:
        log.error("alerts view: cannot open %s: %s", store_path, err)
        return None


def alerts_routes(store_path: str | Path) -> list[BaseRoute]:
    """Routes for /alerts (page), /alerts/alerts.js, /api/alerts and /api/alerts/{alert_id}."""
    path = Path(store_path)

    async def page(request: Request) -> Response:
        """The alerts page."""
        return FileResponse(STATIC / "alerts.html", media_type="text/html; charset=utf-8")

    async def script(request: Request) -> Response:
        """The alerts page script."""
        return FileResponse(STATIC / "alerts.js", media_type="text/javascript; charset=utf-8")

    async def list_alerts(request: Request) -> Response:
        """GET /api/alerts?topic=&status=open|closed&limit=: newest first."""
        params = request.query_params
        try:
            limit = min(max(int(params.get("limit", "100")), 1), MAX_LIMIT)
        except ValueError:
            return JSONResponse({"error": "limit must be a number"}, status_code=400)
        status = params.get("status") or None
        if status not in (None, "open", "closed"):
            return JSONResponse({"error": "status must be open or closed"}, status_code=400)
        store = _open(path)
        if store is None:
            return JSONResponse({"alerts": [], "count": 0})
        try:
            found = store.list(limit=limit, topic=params.get("topic") or None, status=status)
        finally:
            store.close()
        return JSONResponse({"alerts": found, "count": len(found)})

    async def one_alert(request: Request) -> Response:
        """GET /api/alerts/{alert_id}."""
        store = _open(path)
        found = None
        if store is not None:
            try:
                found = store.get(request.path_params["alert_id"])
            finally:
                store.close()
        if found is None:
            return JSONResponse({"error": "alert not found"}, status_code=404)
        return JSONResponse(found)

    return [
        Route("/alerts", page, methods=["GET"], name="alerts_page"),
        Route("/alerts/alerts.js", script, methods=["GET"], name="alerts_script"),
        Route("/api/alerts", list_alerts, methods=["GET"], name="alerts_api"),
        Route("/api/alerts/{alert_id:str}", one_alert, methods=["GET"], name="alert_api"),
    ]

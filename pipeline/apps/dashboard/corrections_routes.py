"""Routes of the advisers' corrections: correct a message's topic and sentiment, and the review queue page.

The write passes the dashboard's RequestGuard (same origin, exactly application/json, the session's CSRF token);
the route checks media type and size again and answers bad input with 400 and a Dutch message. Answers carry
labels and times only: never the account, and no text beyond the redacted text already listed.
"""
from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from pipeline.apps.dashboard import correction_queue, labels
from pipeline.apps.dashboard.security import is_exactly, read_body
from pipeline.apps.pages import page_html
from pipeline.sinks.sqlite.corrections import CorrectionRefused, MessageGone, add_correction

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 2_048
MAX_QUEUE = 200
LOCAL_ACCOUNT = "lokaal"   # who corrects when the dashboard runs on this machine without login
NO_STORE = {"cache-control": "no-store"}
QUEUE_PATH = "/nakijken"


def _json(payload: Any, status: int = 200) -> JSONResponse:
    """A JSON answer that is never cached."""
    return JSONResponse(payload, status_code=status, headers=NO_STORE)


def account_of(request: Request) -> str:
    """The logged-in account (set by the login gate), else the local account."""
    return str(getattr(request.state, "account", "") or LOCAL_ACCOUNT)


def _label(data: dict[str, Any], name: str) -> str | None:
    """A label field of the body: None when absent or empty, else a string (CorrectionRefused otherwise)."""
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise CorrectionRefused(f"'{name}' moet tekst zijn.")
    return value.strip()


def known_topic(conn: sqlite3.Connection | None, topic: str) -> bool:
    """A topic of the taxonomy, or one a model gave a stored message (a municipality's own categories)."""
    if topic in labels.label_tables()["topics"]:
        return True
    return conn is not None and conn.execute("SELECT 1 FROM signals WHERE topic = ? LIMIT 1",
                                             (topic,)).fetchone() is not None


def corrections_routes(reader: Any, municipality: str) -> list[BaseRoute]:
    """The queue page, GET /api/corrections/queue, GET /api/corrections/topics and POST /api/signals/{id}/correction
    over the store `reader`."""

    def read(call: Any) -> Response:
        """Run `call(conn)` on a read-only connection; store errors become 503."""
        try:
            with reader.connection() as conn:
                return _json(call(conn))
        except sqlite3.Error as err:
            log.error("corrections: cannot read %s: %s", reader.path, err)
            return _json({"error": "De opslag is nu niet leesbaar; zie het serverlog."}, 503)

    async def page(request: Request) -> Response:
        """The review queue page with the shared navigation."""
        return HTMLResponse(page_html("corrections.html", municipality, QUEUE_PATH), headers=NO_STORE)

    async def queue(request: Request) -> Response:
        """GET /api/corrections/queue?limit=: uncorrected messages of the last week, least certain first."""
        raw = request.query_params.get("limit", "50").strip()
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_QUEUE:
            return _json({"error": f"limit moet een heel getal van 1 tot {MAX_QUEUE} zijn."}, 400)
        return await run_in_threadpool(read, lambda conn: correction_queue.review_queue(conn, int(raw)))

    async def topics(request: Request) -> Response:
        """GET /api/corrections/topics: code -> label of every topic a correction may choose."""
        taxonomy = labels.label_tables()["topics"]
        return await run_in_threadpool(read, lambda conn: {"topics": correction_queue.topic_choices(conn, taxonomy)})

    async def correct(request: Request) -> Response:
        """POST /api/signals/{id}/correction {topic?, sentiment?}: stored with the time and the session's account."""
        signal_id = request.path_params["signal_id"]
        if not is_exactly(request.headers.get("content-type"), "application/json"):
            return _json({"error": "Stuur de correctie als application/json."}, 415)
        body = await read_body(request, MAX_BODY_BYTES)
        if body is None:
            return _json({"error": "De correctie is te groot."}, 413)
        try:
            data = json.loads(body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _json({"error": "De correctie is geen geldige JSON."}, 400)
        if not isinstance(data, dict):
            return _json({"error": "De correctie moet een JSON-object zijn."}, 400)
        account = account_of(request)

        def store() -> dict[str, Any]:
            """Check the labels and store the correction (in a worker thread: it opens the store)."""
            topic, sentiment = _label(data, "topic"), _label(data, "sentiment")
            if topic is not None:
                with reader.connection() as conn:
                    if not known_topic(conn, topic):
                        raise CorrectionRefused("Onbekend onderwerp: kies er een uit de lijst.")
            return add_correction(reader.path, signal_id, topic, sentiment, account)

        try:
            saved = await run_in_threadpool(store)
        except MessageGone as err:
            return _json({"error": str(err)}, 404)
        except CorrectionRefused as err:
            return _json({"error": str(err)}, 400)
        except sqlite3.Error as err:
            log.error("corrections: cannot store a correction in %s: %s", reader.path, err)
            return _json({"error": "De correctie kan nu niet worden opgeslagen; zie het serverlog."}, 503)
        log.info("correction stored for %s by an adviser", signal_id)
        return _json({k: saved[k] for k in ("signal_id", "topic", "sentiment", "at")}, 201)

    return [
        Route(QUEUE_PATH, page, methods=["GET"]),
        Route("/api/corrections/queue", queue, methods=["GET"]),
        Route("/api/corrections/topics", topics, methods=["GET"]),
        Route("/api/signals/{signal_id:path}/correction", correct, methods=["POST"]),
    ]

"""One gate for every request to the dashboard: host names, body size while streaming, and cross-site writes.

Every state-changing request (POST, PUT, PATCH, DELETE) to any route, present or future, must:
- come from the dashboard's own origin: `Origin` present and equal to it, and `Sec-Fetch-Site` (when sent)
  `same-origin`;
- carry exactly `application/json` (the parsed media type; the login form alone sends a form);
- when it belongs to a logged-in session, carry that session's CSRF token in `X-CSRF-Token`.
Only the paths in CROSS_SITE_PATHS keep their own rules (a bearer token, a public beacon).
Bodies are counted while they stream in; past the limit the answer is 413 and nothing more is read.
"""
from __future__ import annotations

import hmac
import json
import logging
from typing import TYPE_CHECKING, Iterable, Mapping

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.apps.dashboard.sessions import CSRF_HEADER, SESSION_COOKIE, SessionStore, read_cookies
from pipeline.apps.webteam.tracking import MAX_BODY_BYTES as TRACK_MAX_BYTES
from pipeline.apps.webteam.tracking import TRACK_PATH
from pipeline.sources.connectors.ingest import INGEST_PATH
from pipeline.sources.connectors.ingest import MAX_BODY_BYTES as INGEST_MAX_BYTES

if TYPE_CHECKING:
    from starlette.requests import Request

log = logging.getLogger(__name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
# Paths that other systems call across origins, each with the rule it enforces itself.
CROSS_SITE_PATHS: Mapping[str, str] = {
    INGEST_PATH: "contact-centre push: a bearer token in the Authorization header, checked by the route",
    TRACK_PATH: "public site-search beacon from the municipality's website (navigator.sendBeacon, <img>)",
}
# Paths whose writes are an HTML form rather than JSON; no CSRF token (there is no session yet).
FORM_PATHS: Mapping[str, str] = {"/login": FORM}
DEFAULT_BODY_LIMIT = 64 * 1024
BODY_LIMITS: Mapping[str, int] = {"/login": 4_096, INGEST_PATH: INGEST_MAX_BYTES, TRACK_PATH: TRACK_MAX_BYTES}
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


class BodyTooLarge(Exception):
    """A request body grew past its limit while it was being read."""


def media_type(value: str | None) -> tuple[str, dict[str, str]]:
    """The lower-case `type/subtype` and parameters of a Content-Type value ('' when absent or malformed)."""
    if not value:
        return "", {}
    main, *rest = value.split(";")
    params: dict[str, str] = {}
    for part in rest:
        name, eq, raw = part.strip().partition("=")
        if not eq or not name.strip():
            return "", {}
        params[name.strip().lower()] = raw.strip().strip('"').lower()
    kind = main.strip().lower()
    if kind.count("/") != 1 or any(c in kind for c in " ,\t"):
        return "", {}
    return kind, params


def is_exactly(value: str | None, expected: str) -> bool:
    """True when a Content-Type is `expected` with at most a utf-8 charset parameter."""
    kind, params = media_type(value)
    return kind == expected and set(params) <= {"charset"} and params.get("charset", "utf-8") == "utf-8"


def host_name(host_header: str) -> str:
    """The host part of a Host header value, lower case, without the port."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _refusal(status: int, reason: str) -> list[Message]:
    """The ASGI messages of a JSON refusal marked as coming from this gate."""
    body = json.dumps({"error": reason, "refused": "request-guard"}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store"), (b"connection", b"close")]
    return [{"type": "http.response.start", "status": status, "headers": headers},
            {"type": "http.response.body", "body": body}]


class RequestGuard:
    """ASGI middleware enforcing host names, body limits and same-origin JSON writes with a CSRF token."""

    def __init__(self, app: ASGIApp, sessions: SessionStore | None = None, public_origin: str | None = None,
                 tls_proxy: bool = False, allowed_hosts: Iterable[str] | None = None,
                 body_limits: Mapping[str, int] = BODY_LIMITS, default_limit: int = DEFAULT_BODY_LIMIT,
                 proxy_header: str | None = None) -> None:
        """Wrap `app`; `sessions` enables CSRF tokens (also for users of a trusted `proxy_header`);
        `allowed_hosts` (None: any) guards against DNS rebinding."""
        self.app = app
        self.sessions = sessions
        self.proxy_header = proxy_header.lower() if proxy_header else None
        self.public_origin = public_origin.rstrip("/").lower() if public_origin else None
        self.tls_proxy = tls_proxy
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts) if allowed_hosts is not None else None
        self.body_limits = dict(body_limits)
        self.default_limit = default_limit

    def own_origin(self, scope: Scope, headers: Headers) -> str:
        """The origin the dashboard is served from: the configured one, else scheme and Host of the request."""
        if self.public_origin:
            return self.public_origin
        scheme = "https" if self.tls_proxy else scope.get("scheme", "http")
        return f"{scheme}://{headers.get('host', '').strip().lower()}"

    def refusal(self, scope: Scope, headers: Headers) -> tuple[int, str] | None:
        """Why a state-changing request is refused (status, reason), or None when it may pass."""
        path = scope.get("path", "")
        site = headers.get("sec-fetch-site")
        if site is not None and site.strip().lower() != "same-origin":
            return 403, f"cross-site request refused (Sec-Fetch-Site: {site[:20]})"
        origin = headers.get("origin")
        if origin is None:
            return 403, "request without an Origin header refused"
        if origin.strip().lower().rstrip("/") != self.own_origin(scope, headers):
            return 403, "request from another origin refused"
        kinds = headers.getlist("content-type")
        expected = FORM_PATHS.get(path, JSON)
        if len(kinds) > 1:
            return 415, "send exactly one Content-Type"
        if kinds or scope.get("method") != "DELETE" or self._has_body(headers):
            if not is_exactly(kinds[0] if kinds else None, expected):
                return 415, f"send the body as {expected}"
        if self.sessions is not None and path not in FORM_PATHS and not self._token_ok(headers):
            return 403, "missing or wrong CSRF token; reload the page"
        return None

    def _token_ok(self, headers: Headers) -> bool:
        """Whether a logged-in request carries its CSRF token (True when nobody is logged in)."""
        assert self.sessions is not None
        given = headers.get(CSRF_HEADER) or ""
        proxied = headers.get(self.proxy_header, "").strip() if self.proxy_header else ""
        if proxied:
            return hmac.compare_digest(self.sessions.user_token(proxied).encode(), given.encode("utf-8", "replace"))
        sid = read_cookies(headers.get("cookie", "")).get(SESSION_COOKIE)
        return not sid or self.sessions.user(sid) is None or self.sessions.csrf_ok(sid, given)

    @staticmethod
    def _has_body(headers: Headers) -> bool:
        """Whether the request announces a body."""
        length = headers.get("content-length", "0").strip()
        return "transfer-encoding" in headers or (length != "0" and length != "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then pass it on with a receive channel that stops at the body limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path = scope.get("path", "")
        if self.allowed_hosts is not None and host_name(headers.get("host", "")) not in self.allowed_hosts:
            await self._send_all(send, _refusal(421, "unknown host name"))
            return
        limit = self.body_limits.get(path, self.default_limit)
        declared = headers.get("content-length", "")
        if declared.strip().isdigit() and int(declared) > limit:
            await self._send_all(send, _refusal(413, f"body larger than {limit} bytes"))
            return
        if scope.get("method") in UNSAFE_METHODS and path not in CROSS_SITE_PATHS:
            refused = self.refusal(scope, headers)
            if refused is not None:
                log.warning("refused %s %s: %s", scope.get("method"), path[:100], refused[1])
                await self._send_all(send, _refusal(*refused))
                return
        await self._limited(scope, receive, send, limit, self._has_body(headers))

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int, has_body: bool) -> None:
        """Run the app with a counted body; past `limit` its answer is replaced by 413. An answer sent before
        the body was read to the end closes the connection, so the rest is not received at all."""
        state = {"read": 0, "over": False, "started": False, "complete": not has_body}

        async def counted_receive() -> Message:
            """The next message, raising BodyTooLarge once the body passes the limit."""
            if state["over"]:
                raise BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                state["complete"] = not message.get("more_body", False)
                state["read"] += len(message.get("body", b""))
                if state["read"] > limit:
                    state["over"] = True
                    raise BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            """Pass the app's answer on, unless the body was too large (then 413 is sent once)."""
            if state["over"]:
                if not state["started"]:
                    state["started"] = True
                    await self._send_all(send, _refusal(413, f"body larger than {limit} bytes"))
                return
            if message["type"] == "http.response.start":
                state["started"] = True
                if not state["complete"]:
                    message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            pass
        if state["over"] and not state["started"]:
            state["started"] = True
            await self._send_all(send, _refusal(413, f"body larger than {limit} bytes"))

    @staticmethod
    async def _send_all(send: Send, messages: list[Message]) -> None:
        """Send prepared messages in order."""
        for message in messages:
            await send(message)


async def read_body(request: "Request", limit: int) -> bytes | None:
    """The body of `request` read chunk by chunk, or None as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)

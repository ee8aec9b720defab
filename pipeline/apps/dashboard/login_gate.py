"""The login gate: pages need a live session (or a trusted proxy header); /login throttles, /logout revokes.

Paths with their own access rules (security.CROSS_SITE_PATHS: the bearer-token ingest and the public
beacon) pass the gate untouched, so they keep working when the dashboard is bound off loopback.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
from typing import Mapping
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.apps.dashboard.access import MAX_FORM_BYTES, PUBLIC_PATHS, hash_password, login_page, safe_next, verify_password
from pipeline.apps.dashboard.security import CROSS_SITE_PATHS
from pipeline.apps.dashboard.sessions import CSRF_COOKIE, SESSION_COOKIE, SessionStore, read_cookies
from pipeline.apps.dashboard.throttle import LoginThrottle

log = logging.getLogger(__name__)

FAILED = "Onbekende gebruiker of onjuist wachtwoord"
MAX_USER_CHARS = 200
MAX_PASSWORD_CHARS = 1_024


def _wait_message(seconds: float) -> str:
    """The Dutch message for a throttled login."""
    minutes = math.ceil(seconds / 60)
    when = f"over {minutes} minuten" if seconds > 90 else f"over {math.ceil(seconds)} seconden"
    return f"Te veel mislukte pogingen; probeer het {when} opnieuw"


class LoginGate:
    """ASGI middleware: without a live session (or trusted proxy header) pages redirect to /login, /api answers 401."""

    def __init__(self, app: ASGIApp, accounts: Mapping[str, str], sessions: SessionStore, municipality: str,
                 proxy_header: str | None = None, secure_cookies: bool = False,
                 throttle: LoginThrottle | None = None) -> None:
        """Wrap `app`; `accounts` maps login names to password hashes."""
        if not accounts and not proxy_header:
            raise ValueError("login is required (the dashboard is bound to a non-local address) but no account is "
                             "configured: set dashboard_accounts (see `stadssignaal hash-password`) or "
                             "dashboard_proxy_user_header")
        self.app = app
        self.accounts = dict(accounts)
        self.sessions = sessions
        self.municipality = municipality
        self.proxy_header = proxy_header.lower() if proxy_header else None
        self.secure_cookies = secure_cookies
        self.throttle = throttle or LoginThrottle()
        # Unknown names are checked against this hash, so they cost the same scrypt work as known ones.
        self._decoy = hash_password(secrets.token_urlsafe(16)) if self.accounts else ""
        self._tag_key = secrets.token_bytes(16)

    def user_of(self, headers: Headers) -> str | None:
        """The logged-in user of a request, or None."""
        if self.proxy_header:
            forwarded = headers.get(self.proxy_header, "").strip()
            if forwarded:
                return forwarded
        user = self.sessions.user(read_cookies(headers.get("cookie", "")).get(SESSION_COOKIE))
        return user if user is not None and (user in self.accounts or self.proxy_header) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve /login and /logout, let public paths and logged-in requests through, refuse the rest."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "/")
        headers = Headers(scope=scope)
        if path == "/login":
            response = await self._login(scope, receive, headers)
        elif path == "/logout":
            response = self._logout(scope, headers)
        elif path in PUBLIC_PATHS or path in CROSS_SITE_PATHS:
            await self.app(scope, receive, send)
            return
        elif (user := self.user_of(headers)) is not None:
            scope.setdefault("state", {})["account"] = user  # who acts, e.g. on an alert (request.state.account)
            await self.app(scope, receive, self._with_proxy_token(scope, headers, send))
            return
        elif path.startswith("/api/") or "/api/" in path:
            response = JSONResponse({"error": "log in first", "login": "/login"}, status_code=401)
        else:
            query = scope.get("query_string", b"").decode("latin-1")
            target = path + (f"?{query}" if query else "")
            response = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        await response(scope, receive, send)

    def _with_proxy_token(self, scope: Scope, headers: Headers, send: Send) -> Send:
        """For a user of the trusted proxy header: a send that sets the user's CSRF cookie when it is missing."""
        proxied = headers.get(self.proxy_header, "").strip() if self.proxy_header else ""
        if not proxied:
            return send
        token = self.sessions.user_token(proxied)
        if read_cookies(headers.get("cookie", "")).get(CSRF_COOKIE) == token:
            return send
        cookie = Response()
        cookie.set_cookie(CSRF_COOKIE, token, path="/", httponly=False, samesite="strict", secure=self._secure(scope))
        extra = [(k, v) for k, v in cookie.raw_headers if k == b"set-cookie"]

        async def send_with_cookie(message: Message) -> None:
            """Add the CSRF cookie to the response start."""
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        return send_with_cookie

    def _secure(self, scope: Scope) -> bool:
        """Whether cookies get the Secure flag (served over TLS, directly or behind a TLS-terminating proxy)."""
        return self.secure_cookies or scope.get("scheme") == "https"

    def _logout(self, scope: Scope, headers: Headers) -> Response:
        """End the session server-side and clear its cookies (a GET from another site changes nothing)."""
        site = (headers.get("sec-fetch-site") or "same-origin").lower()
        if scope["method"] == "GET" and site not in ("same-origin", "none"):
            return RedirectResponse("/", status_code=303)
        revoked = self.sessions.revoke(read_cookies(headers.get("cookie", "")).get(SESSION_COOKIE))
        if revoked:
            log.info("dashboard logout")
        response = RedirectResponse("/login", status_code=303)
        for name in (SESSION_COOKIE, CSRF_COOKIE):
            response.delete_cookie(name, path="/", secure=self._secure(scope), samesite="strict")
        return response

    def _address(self, scope: Scope) -> str:
        """The client address (uvicorn puts a trusted proxy's X-Forwarded-For here)."""
        client = scope.get("client")
        return str(client[0]) if client else "?"

    def _tag(self, user: str) -> str:
        """A short keyed tag of a login name for logs (never the name of a failed login itself)."""
        return hmac.new(self._tag_key, user.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:10]

    async def _read_form(self, receive: Receive) -> dict[str, str] | None:
        """The login form fields, or None when the body is too large."""
        body = bytearray()
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_FORM_BYTES:
                return None
        return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}

    async def _login(self, scope: Scope, receive: Receive, headers: Headers) -> Response:
        """GET shows the form; POST checks the password (throttled, same work for unknown names) and starts a session."""
        # same-origin (not no-referrer): else the browser sends `Origin: null` with the form and the guard refuses it.
        no_store = {"cache-control": "no-store", "referrer-policy": "same-origin"}
        if scope["method"] != "POST":
            target = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("next", ["/"])[0]
            return HTMLResponse(login_page(self.municipality, target), headers=no_store)
        form = await self._read_form(receive)
        if form is None:
            return HTMLResponse(login_page(self.municipality, error="Formulier te groot"), status_code=413)
        user, password = form.get("user", "")[:MAX_USER_CHARS], form.get("password", "")[:MAX_PASSWORD_CHARS]
        target = safe_next(form.get("next"))
        address = self._address(scope)
        wait = self.throttle.wait(user, address)
        if wait > 0:
            locked = self.throttle.failure(user, address, checked=False)
            wait = self.throttle.wait(user, address)
            log.warning("throttled dashboard login from %s (account tag %s)%s", address, self._tag(user),
                        "; now locked" if locked else "")
            return HTMLResponse(login_page(self.municipality, target, user, _wait_message(wait)), status_code=429,
                                headers={**no_store, "retry-after": str(math.ceil(wait))})
        stored = self.accounts.get(user)
        matches = await run_in_threadpool(verify_password, password, stored if stored is not None else self._decoy)
        if stored is None or not matches:
            locked = self.throttle.failure(user, address)
            log.warning("failed dashboard login from %s (account tag %s)%s", address, self._tag(user),
                        "; now locked" if locked else "")
            return HTMLResponse(login_page(self.municipality, target, user, FAILED), status_code=401, headers=no_store)
        self.throttle.success(user)
        self.sessions.revoke(read_cookies(headers.get("cookie", "")).get(SESSION_COOKIE))
        sid = self.sessions.create(user)
        response = RedirectResponse(target, status_code=303, headers=no_store)
        secure = self._secure(scope)
        max_age = int(self.sessions.lifetime)
        response.set_cookie(SESSION_COOKIE, sid, max_age=max_age, path="/", httponly=True, samesite="strict",
                            secure=secure)
        response.set_cookie(CSRF_COOKIE, self.sessions.csrf_token(sid), max_age=max_age, path="/", httponly=False,
                            samesite="strict", secure=secure)
        log.info("dashboard login: %s", user[:60])
        return response

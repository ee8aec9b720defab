"""Login for a dashboard reachable from other machines: scrypt password hashes, signed expiring session cookies,
an optional trusted reverse-proxy header, and the login page (everything on it escaped).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import html
import ipaddress
import logging
import secrets
import time
from typing import Mapping
from urllib.parse import parse_qs, quote

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

COOKIE = "stadssignaal_session"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
PUBLIC_PATHS = frozenset({"/login", "/logout", "/static/app.css", "/static/favicon.svg"})
MAX_FORM_BYTES = 4_096


# ---- passwords ----------------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    """URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    """Inverse of _b64; raises ValueError on bad input."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A storable hash 'scrypt$n$r$p$salt$hash' of `password` (stdlib hashlib.scrypt, random 16-byte salt)."""
    if not password:
        raise ValueError("the password is empty")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches a hash from hash_password; malformed hashes never match."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(expected), maxmem=256 * 1024 * 1024)
    except (ValueError, TypeError) as err:
        log.error("a configured password hash cannot be read: %s", err)
        return False
    return hmac.compare_digest(actual, expected)


# ---- sessions -----------------------------------------------------------------------------------------

class SessionSigner:
    """Makes and checks cookie values 'user.expiry.signature' (HMAC-SHA256 over user and expiry)."""

    def __init__(self, secret: str | bytes | None, lifetime_seconds: float) -> None:
        """Sign with `secret` (random when None) and let sessions live `lifetime_seconds`."""
        key = secret.encode() if isinstance(secret, str) else secret
        self.key = key or secrets.token_bytes(32)
        self.lifetime = lifetime_seconds

    def _signature(self, payload: str) -> str:
        """The HMAC of a payload."""
        return _b64(hmac.new(self.key, payload.encode(), hashlib.sha256).digest())

    def issue(self, user: str, now: float | None = None) -> str:
        """A cookie value for `user` expiring after the lifetime."""
        expiry = int((time.time() if now is None else now) + self.lifetime)
        payload = f"{_b64(user.encode())}.{expiry}"
        return f"{payload}.{self._signature(payload)}"

    def user(self, value: str | None, now: float | None = None) -> str | None:
        """The user of a valid, unexpired cookie value, else None."""
        if not value or value.count(".") != 2:
            return None
        encoded, expiry, signature = value.split(".")
        if not hmac.compare_digest(signature, self._signature(f"{encoded}.{expiry}")):
            return None
        try:
            if int(expiry) < (time.time() if now is None else now):
                return None
            return _unb64(encoded).decode()
        except (ValueError, UnicodeDecodeError):
            return None


# ---- binding ------------------------------------------------------------------------------------------

def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'; False for wildcards (0.0.0.0, ::) and other addresses."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def needs_login(host: str) -> bool:
    """Whether a dashboard bound to `host` must ask for a login (anything but loopback)."""
    return not is_loopback(host)


# ---- the login page and the gate ------------------------------------------------------------------------

def safe_next(target: str | None) -> str:
    """A same-site path to go to after login ('/' for anything else)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def login_page(municipality: str, next_path: str = "/", user: str = "", error: str | None = None) -> str:
    """The login form; every inserted value is HTML-escaped."""
    esc = html.escape
    message = f'<p class="login-error" role="alert">{esc(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Inloggen · Stadssignaal · Gemeente {esc(municipality)}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/static/app.css"></head>
<body class="login-body"><main class="login-box">
<h1>Stadssignaal</h1><p class="hint">Gemeente {esc(municipality)} · log in om het dashboard te zien</p>{message}
<form method="post" action="/login">
<input type="hidden" name="next" value="{esc(safe_next(next_path))}">
<label>Gebruikersnaam<input name="user" autocomplete="username" required value="{esc(user)}"></label>
<label>Wachtwoord<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Inloggen</button></form></main></body></html>"""


class LoginGate:
    """ASGI middleware: without a valid session (or trusted proxy header) pages redirect to /login, /api answers 401."""

    def __init__(self, app: ASGIApp, accounts: Mapping[str, str], signer: SessionSigner, municipality: str,
                 proxy_header: str | None = None) -> None:
        """Wrap `app`; `accounts` maps login names to password hashes."""
        if not accounts and not proxy_header:
            raise ValueError("login is required (the dashboard is bound to a non-local address) but no account is "
                             "configured: set dashboard_accounts (see `stadssignaal hash-password`) or "
                             "dashboard_proxy_user_header")
        self.app = app
        self.accounts = dict(accounts)
        self.signer = signer
        self.municipality = municipality
        self.proxy_header = proxy_header.lower() if proxy_header else None

    def user_of(self, headers: Headers) -> str | None:
        """The logged-in user of a request, or None."""
        if self.proxy_header:
            forwarded = headers.get(self.proxy_header, "").strip()
            if forwarded:
                return forwarded
        cookies = {}
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            cookies[name] = value
        user = self.signer.user(cookies.get(COOKIE))
        return user if user is not None and (user in self.accounts or self.proxy_header) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve /login and /logout, let public assets and logged-in requests through, refuse the rest."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "/")
        headers = Headers(scope=scope)
        user = self.user_of(headers)
        if user is not None:
            scope.setdefault("state", {})["account"] = user  # who acts, e.g. on an alert (request.state.account)
        if path == "/login":
            response = await self._login(scope, receive, headers)
        elif path == "/logout":
            response = RedirectResponse("/login", status_code=303)
            response.delete_cookie(COOKIE, path="/")
        elif path in PUBLIC_PATHS or user is not None:
            await self.app(scope, receive, send)
            return
        elif path.startswith("/api/") or "/api/" in path:
            response = JSONResponse({"error": "log in first", "login": "/login"}, status_code=401)
        else:
            query = scope.get("query_string", b"").decode("latin-1")
            target = path + (f"?{query}" if query else "")
            response = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        await response(scope, receive, send)

    async def _login(self, scope: Scope, receive: Receive, headers: Headers) -> Response:
        """GET shows the form; POST checks the password and sets the session cookie."""
        if scope["method"] != "POST":
            target = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("next", ["/"])[0]
            return HTMLResponse(login_page(self.municipality, target), headers={"cache-control": "no-store"})
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_FORM_BYTES:
                return HTMLResponse(login_page(self.municipality, error="Formulier te groot"), status_code=413)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        user, password = form.get("user", "")[:200], form.get("password", "")
        target = safe_next(form.get("next"))
        stored = self.accounts.get(user)
        if stored is None or not verify_password(password, stored):
            log.warning("failed dashboard login for %r", user[:60])
            return HTMLResponse(login_page(self.municipality, target, user, "Onbekende gebruiker of onjuist wachtwoord"),
                                status_code=401, headers={"cache-control": "no-store"})
        response = RedirectResponse(target, status_code=303)
        secure = scope.get("scheme") == "https"
        response.set_cookie(COOKIE, self.signer.issue(user), max_age=int(self.signer.lifetime), path="/",
                            httponly=True, samesite="strict", secure=secure)
        log.info("dashboard login: %s", user[:60])
        return response

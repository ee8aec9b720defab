"""Login for a dashboard reachable from other machines: scrypt password hashes, server-side sessions revoked on
logout, login throttling, an optional trusted reverse-proxy header, and the login page (everything on it escaped).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import html
import ipaddress
import logging
import secrets

log = logging.getLogger(__name__)

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
PUBLIC_PATHS = frozenset({"/login", "/logout", "/static/app.css", "/static/favicon.svg", "/favicon.ico"})
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



"""Server-side login sessions: random ids in the cookie, the user and expiry kept here, revoked on logout.

Each session also has a CSRF token, an HMAC of its id under a server key, handed to the page in a cookie
that scripts can read and checked against the session on every state-changing request.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable

SESSION_COOKIE = "stadssignaal_session"
CSRF_COOKIE = "stadssignaal_csrf"
CSRF_HEADER = "x-csrf-token"
MAX_SESSIONS = 10_000


@dataclass(frozen=True, slots=True)
class Session:
    """One live login: who, and until when (monotonic clock)."""

    user: str
    expires: float


class SessionStore:
    """Live sessions in memory (one dashboard process); a restart ends every session."""

    def __init__(self, lifetime_seconds: float, key: str | bytes | None = None, max_sessions: int = MAX_SESSIONS,
                 clock: Callable[[], float] | None = None) -> None:
        """Sessions live `lifetime_seconds`; `key` derives CSRF tokens (random when None)."""
        raw = key.encode() if isinstance(key, str) else key
        self.key = hashlib.sha256(b"csrf:" + raw).digest() if raw else secrets.token_bytes(32)
        self.lifetime = lifetime_seconds
        self.max_sessions = max_sessions
        self._clock = clock or time.monotonic
        self._live: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, user: str) -> str:
        """A new session id for `user` (the oldest sessions go when the store is full)."""
        sid = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._prune(now)
            while len(self._live) >= self.max_sessions:
                self._live.pop(next(iter(self._live)))
            self._live[sid] = Session(user, now + self.lifetime)
        return sid

    def user(self, sid: str | None) -> str | None:
        """The user of a live session id, else None."""
        if not sid:
            return None
        with self._lock:
            found = self._live.get(sid)
            if found is None:
                return None
            if found.expires <= self._clock():
                del self._live[sid]
                return None
            return found.user

    def revoke(self, sid: str | None) -> bool:
        """End a session; True when it was live."""
        if not sid:
            return False
        with self._lock:
            return self._live.pop(sid, None) is not None

    def csrf_token(self, sid: str) -> str:
        """The CSRF token bound to session `sid`."""
        return hmac.new(self.key, sid.encode(), hashlib.sha256).hexdigest()

    def user_token(self, user: str) -> str:
        """The CSRF token of a user signed in by a trusted proxy header (no session of ours)."""
        return hmac.new(self.key, b"user:" + user.encode("utf-8", "replace"), hashlib.sha256).hexdigest()

    def csrf_ok(self, sid: str, token: str | None) -> bool:
        """True when `token` is the CSRF token of session `sid` (constant-time)."""
        return bool(token) and hmac.compare_digest(self.csrf_token(sid).encode(), (token or "").encode("utf-8", "replace"))

    def __len__(self) -> int:
        """How many sessions are stored (expired ones included until pruned)."""
        return len(self._live)

    def _prune(self, now: float) -> None:
        """Drop expired sessions (caller holds the lock)."""
        for sid in [sid for sid, found in self._live.items() if found.expires <= now]:
            del self._live[sid]


def read_cookies(header: str) -> dict[str, str]:
    """Cookie name -> value from a Cookie header (the first of repeated names wins)."""
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name and name not in cookies:
            cookies[name] = value
    return cookies

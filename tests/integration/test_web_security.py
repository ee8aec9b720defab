"""The dashboard's request guard, sessions and login throttle over every route the app mounts.

Cross-site writes of every kind a browser sends without a preflight are refused on every state-changing
route (found by walking the app's routes, so a new one is covered automatically); same-origin JSON works;
logins are throttled; a logged-out session is dead; ingest and beacon keep their own rules off loopback.
"""
from __future__ import annotations

import re
import sqlite3
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from starlette.routing import Mount, Route

from fakes.search_fixtures import repeated
from pipeline.apps.advisers.settings import AdvisersSettings
from pipeline.apps.dashboard.access import hash_password
from pipeline.apps.dashboard.app import dashboard_app
from pipeline.apps.dashboard.features import feature_routes
from pipeline.apps.dashboard.security import CROSS_SITE_PATHS, is_exactly, media_type
from pipeline.apps.dashboard.server import DashboardServer
from pipeline.apps.dashboard.sessions import CSRF_COOKIE, SESSION_COOKIE
from pipeline.apps.dashboard.throttle import LoginThrottle
from pipeline.apps.webteam.tracking import TRACK_PATH, tracking_routes
from pipeline.sinks.sqlite.store import SqliteStore
from pipeline.sources.connectors.ingest import INGEST_PATH, ingest_routes

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery"
TOKEN = "kcc-token-1"
LOCAL = "http://127.0.0.1:8000"
OTHER_LOCAL = "http://127.0.0.1:9999"
SAFE = {"GET", "HEAD", "OPTIONS"}
WEEK = datetime(2024, 10, 8, tzinfo=timezone.utc).timestamp()
NOTE = {"id": "C-1", "created_at": "2024-06-11T09:00:00+02:00", "text": "vraag over de afvalpas", "team": "Afval"}


@pytest.fixture(scope="module")
def password_hash() -> str:
    """One scrypt hash for the module."""
    return hash_password(PASSWORD)


@pytest.fixture
def store(store_path: Path) -> Path:
    """A store with zero-result searches (for the review) and nothing else."""
    writer = SqliteStore(store_path)
    writer.write(None, None, repeated("paspoort", 3, WEEK + 60, results=0))
    writer.close()
    return store_path


class Mounted:
    """The app as `run` mounts it (features, beacon, ingest) and what its receivers got."""

    def __init__(self, store: Path, host: str, **extra: Any) -> None:
        """Build the dashboard bound to `host` with optional settings."""
        self.beacons: list[Any] = []
        self.notes: list[Any] = []
        settings = AdvisersSettings(municipality="Zeist", neighbourhoods=["Centrum"], **extra)
        routes = [*feature_routes(store), *tracking_routes(self.beacons.append),
                  *ingest_routes(self.notes.extend, [TOKEN])]
        self.app = dashboard_app(store, settings, host, routes)


def unsafe_routes(app: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(method, concrete path) of every state-changing route of the app (mounted sub-apps included), path
    parameters filled with 1."""
    found = []
    for route in app.routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or set()) - SAFE):
                found.append((method, prefix + re.sub(r"\{[^}]+\}", "1", route.path)))
        elif isinstance(route, Mount) and getattr(route, "routes", None):
            found.extend(unsafe_routes(route, prefix + route.path))
    return found


def attacks(origin: str) -> Iterator[tuple[str, dict[str, str], bytes]]:
    """Requests a page on another origin can send without a preflight, and near misses of a valid write."""
    json_body = b'{"name": "x", "keywords": ["a"], "group": "paspoort", "status": "handled"}'
    form = b"name=x&keywords=a&group=paspoort&status=handled"
    multipart = (b"--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--b--\r\n")
    for where in (OTHER_LOCAL, "null", "https://evil.example"):
        yield f"text/plain json from {where}", {"origin": where, "content-type": "text/plain; application/json",
                                                "sec-fetch-site": "same-site"}, json_body
        yield f"form from {where}", {"origin": where, "content-type": "application/x-www-form-urlencoded"}, form
        yield f"multipart from {where}", {"origin": where, "content-type": "multipart/form-data; boundary=b"}, multipart
        yield f"text/plain from {where}", {"origin": where, "content-type": "text/plain"}, json_body
    yield "json without Origin", {"content-type": "application/json"}, json_body
    yield "json from another local origin", {"origin": OTHER_LOCAL, "content-type": "application/json"}, json_body
    yield "json with cross-site fetch metadata", {"origin": origin, "content-type": "application/json",
                                                 "sec-fetch-site": "cross-site"}, json_body
    yield "text/plain; application/json same origin", {"origin": origin,
                                                       "content-type": "text/plain; application/json"}, json_body
    yield "application/json in a list", {"origin": origin, "content-type": "application/json, text/plain"}, json_body
    yield "form same origin", {"origin": origin, "content-type": "application/x-www-form-urlencoded"}, form
    yield "multipart same origin", {"origin": origin, "content-type": "multipart/form-data; boundary=b"}, multipart


def refused_by_guard(response: httpx.Response) -> bool:
    """True when the request guard (not the route) answered."""
    try:
        return response.status_code in (403, 415) and response.json().get("refused") == "request-guard"
    except ValueError:
        return False


def stored_writes(store: Path) -> tuple[int, int]:
    """(dossiers, review decisions) in the store."""
    with sqlite3.connect(store) as conn:
        dossiers = conn.execute("SELECT count(*) FROM dossiers").fetchone()[0]
        try:
            reviews = conn.execute("SELECT count(*) FROM search_review").fetchone()[0]
        except sqlite3.OperationalError:
            reviews = 0
    return dossiers, reviews


def login(client: TestClient, user: str = "anna", password: str = PASSWORD) -> httpx.Response:
    """POST the login form as the browser does (same origin)."""
    return client.post("/login", data={"user": user, "password": password, "next": "/"},
                       headers={"origin": str(client.base_url).rstrip("/")})


def test_media_types_are_parsed_not_searched() -> None:
    """Only application/json itself (with a utf-8 charset at most) counts as JSON."""
    assert is_exactly("application/json", "application/json")
    assert is_exactly("Application/JSON; charset=UTF-8", "application/json")
    for value in ("text/plain; application/json", "application/json, text/plain", "application/jsonx",
                  "application/json; charset=latin-1", "application/json; boundary=x", "", None, "application/json;x"):
        assert not is_exactly(value, "application/json"), value
    assert media_type("multipart/form-data; boundary=b") == ("multipart/form-data", {"boundary": "b"})


@pytest.mark.parametrize("logged_in", [False, True], ids=["loopback", "logged-in"])
def test_every_state_changing_route_refuses_cross_site_requests(store: Path, password_hash: str,
                                                                logged_in: bool) -> None:
    """Each unsafe route refuses every attack; same-origin JSON (with the CSRF token when logged in) gets through."""
    host = "0.0.0.0" if logged_in else "127.0.0.1"
    mounted = Mounted(store, host, dashboard_accounts={"anna": password_hash})
    client = TestClient(mounted.app, base_url=LOCAL, follow_redirects=False)
    token = ""
    if logged_in:
        assert login(client).status_code == 303
        token = client.cookies[CSRF_COOKIE]
    routes = unsafe_routes(mounted.app)
    paths = {path for _, path in routes}
    assert {"/api/dossiers", "/api/dossiers/1", "/review/api/status", INGEST_PATH, TRACK_PATH} <= paths
    guarded = [(m, p) for m, p in routes if p not in CROSS_SITE_PATHS]
    assert set(CROSS_SITE_PATHS) == {INGEST_PATH, TRACK_PATH}
    for method, path in guarded:
        for name, headers, body in attacks(LOCAL):
            response = client.request(method, path, headers={**headers, "x-csrf-token": token}, content=body)
            assert refused_by_guard(response), (method, path, name, response.status_code, response.text)
    assert stored_writes(store) == (0, 0)
    for method, path in guarded:
        same = {"origin": LOCAL, "content-type": "application/json", "sec-fetch-site": "same-origin",
                "x-csrf-token": token}
        response = client.request(method, path, headers=same, content=b"{}")
        assert not refused_by_guard(response), (method, path, response.text)
        if logged_in:
            missing = client.request(method, path, headers={**same, "x-csrf-token": ""}, content=b"{}")
            altered = token[:-1] + ("1" if token.endswith("0") else "0")
            wrong = client.request(method, path, headers={**same, "x-csrf-token": altered}, content=b"{}")
            assert refused_by_guard(missing) and refused_by_guard(wrong), (method, path)
    made = client.post("/api/dossiers", json={"name": "Paspoort", "keywords": ["paspoort"]},
                       headers={"origin": LOCAL, "x-csrf-token": token})
    decided = client.post("/review/api/status", json={"group": "paspoort", "status": "handled"},
                          headers={"origin": LOCAL, "x-csrf-token": token})
    assert made.status_code == 201 and decided.status_code == 200, (made.text, decided.text)
    assert stored_writes(store) == (1, 1)


def test_loopback_dashboard_answers_only_loopback_host_names(store: Path) -> None:
    """A page on a rebound DNS name reaches the port but gets no answer (no DNS rebinding)."""
    app = Mounted(store, "127.0.0.1").app
    assert TestClient(app, base_url="http://localhost:8000").get("/api/health").status_code == 200
    rebound = TestClient(app, base_url="http://attacker.example:8000")
    assert rebound.get("/api/summary").status_code == 421
    assert rebound.post("/api/dossiers", json={}, headers={"origin": "http://attacker.example:8000"}).status_code == 421


def test_large_bodies_are_refused_while_streaming(store: Path) -> None:
    """A declared or streamed body past the limit gets 413 and the server stops reading long before 50 MB."""
    server = DashboardServer(Mounted(store, "127.0.0.1").app, "127.0.0.1", 0)
    server.start()
    sent = [0]

    def chunks() -> Iterator[bytes]:
        """50 MB in 64 KiB pieces, counted as the client hands them over."""
        piece = b"x" * 65_536
        for _ in range(800):
            sent[0] += len(piece)
            yield piece

    try:
        base = f"http://127.0.0.1:{server.port}"
        with httpx.Client(base_url=base, headers={"origin": base}, timeout=20) as http:
            declared = http.post("/api/dossiers", content=b"x" * 70_000, headers={"content-type": "application/json"})
            assert declared.status_code == 413
            try:
                streamed = http.post("/api/dossiers", content=chunks(), headers={"content-type": "application/json"})
                assert streamed.status_code == 413
            except httpx.TransportError:
                pass  # the server answered 413 and closed while the client was still sending
            assert sent[0] < 20 * 1024 * 1024, sent[0]
            assert http.get("/api/health").status_code == 200
    finally:
        server.stop()


def test_login_is_throttled_within_30_wrong_passwords(store: Path, password_hash: str) -> None:
    """Wrong passwords lock the account (then even the right one waits); spraying many names locks the address."""
    client = TestClient(Mounted(store, "0.0.0.0", dashboard_accounts={"anna": password_hash}).app, base_url=LOCAL,
                        follow_redirects=False)
    statuses = [login(client, "anna", f"wrong-{i}").status_code for i in range(30)]
    assert 429 in statuses and statuses.index(429) < 30
    refused = login(client, "anna", PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 600  # locked, not just slowed
    assert "Te veel mislukte pogingen" in refused.text
    assert SESSION_COOKIE not in client.cookies

    spray = TestClient(Mounted(store, "0.0.0.0", dashboard_accounts={"anna": password_hash}).app, base_url=LOCAL,
                       follow_redirects=False)
    sprayed = [login(spray, f"user{i}", "wrong").status_code for i in range(30)]
    assert 429 in sprayed
    locked = login(spray, "anna", PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 600  # the address is locked


def test_throttle_backs_off_then_locks_and_forgets() -> None:
    """Back-off grows after the free failures, the lock holds for its time, a success clears the account."""
    now = [0.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    waits = []
    for _ in range(10):
        throttle.failure("anna", "10.0.0.1")
        waits.append(throttle.wait("anna", "10.0.0.1"))
    assert waits[:3] == [0.0, 0.0, 0.0] and waits[3] == 1.0 and waits[4] == 2.0 and waits[9] == 900.0
    now[0] += 901
    assert throttle.wait("anna", "10.0.0.1") == 0.0
    throttle.success("anna")
    throttle.failure("anna", "10.0.0.2")
    assert throttle.wait("anna", "10.0.0.2") == 0.0


def test_unknown_names_cost_the_same_work(store: Path, password_hash: str) -> None:
    """A wrong password for an unknown name takes as long as for a known one (both run scrypt)."""
    app = Mounted(store, "0.0.0.0", dashboard_accounts={"anna": password_hash}).app
    client = TestClient(app, base_url=LOCAL, follow_redirects=False)

    def timed(user: str) -> float:
        start = time.perf_counter()
        assert login(client, user, "wrong").status_code == 401
        return time.perf_counter() - start

    known = min(timed("anna"), timed("anna"))
    unknown = min(timed("nobody-1"), timed("nobody-2"))
    assert unknown > 0.5 * known and known > 0.5 * unknown, (known, unknown)


def test_logged_out_session_is_refused(store: Path, password_hash: str) -> None:
    """After logout the old cookie opens nothing, even when replayed."""
    client = TestClient(Mounted(store, "0.0.0.0", dashboard_accounts={"anna": password_hash}).app, base_url=LOCAL,
                        follow_redirects=False)
    good = login(client)
    assert good.status_code == 303
    cookie = client.cookies[SESSION_COOKIE]
    assert "samesite=strict" in good.headers["set-cookie"].lower() and "httponly" in good.headers["set-cookie"].lower()
    assert client.get("/api/summary").status_code == 200
    assert client.get("/logout", headers={"sec-fetch-site": "same-site"}).status_code == 303  # from another port
    assert client.get("/api/summary").status_code == 200  # ... changes nothing
    assert client.post("/logout", json={}, headers={"origin": LOCAL}).status_code == 403  # no token
    assert client.post("/logout", json={}, headers={"origin": LOCAL, "x-csrf-token": client.cookies[CSRF_COOKIE]}
                       ).status_code == 303
    replay = TestClient(client.app, base_url=LOCAL, follow_redirects=False, cookies={SESSION_COOKIE: cookie})
    assert replay.get("/api/summary").status_code == 401
    assert replay.get("/dossiers").status_code == 303


def test_secure_cookies_behind_a_tls_proxy(store: Path, password_hash: str) -> None:
    """With dashboard_tls_proxy the cookies are Secure and the own origin is https."""
    app = Mounted(store, "0.0.0.0", dashboard_accounts={"anna": password_hash}, dashboard_tls_proxy=True).app
    client = TestClient(app, base_url="http://signaal.zeist.nl", follow_redirects=False)
    assert client.post("/login", data={"user": "anna", "password": PASSWORD},
                       headers={"origin": "http://signaal.zeist.nl"}).status_code == 403
    good = client.post("/login", data={"user": "anna", "password": PASSWORD},
                       headers={"origin": "https://signaal.zeist.nl"})
    assert good.status_code == 303
    cookies = good.headers.get_list("set-cookie")
    assert len(cookies) == 2 and all("secure" in c.lower() for c in cookies)


def test_ingest_and_beacon_keep_their_own_rules_off_loopback(store: Path, password_hash: str) -> None:
    """Served on 0.0.0.0 with login: ingest works with its bearer token only, the beacon works for anyone."""
    mounted = Mounted(store, "0.0.0.0", dashboard_accounts={"anna": password_hash})
    server = DashboardServer(mounted.app, "0.0.0.0", 0)
    server.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", follow_redirects=False, timeout=20) as client:
            pushed = client.post(INGEST_PATH, json=[NOTE], headers={"authorization": f"Bearer {TOKEN}"})
            assert pushed.status_code == 200 and pushed.json()["accepted"] == 1 and len(mounted.notes) == 1
            assert client.post(INGEST_PATH, json=[NOTE]).status_code == 401
            assert client.post(INGEST_PATH, json=[NOTE], headers={"authorization": "Bearer nope"}).status_code == 401
            site = "https://www.zeist.nl"
            pixel = client.get(TRACK_PATH, params={"q": "paspoort", "results": 0}, headers={"origin": site})
            assert pixel.status_code == 200 and pixel.headers["content-type"] == "image/gif"
            beacon = client.post(TRACK_PATH, content=b'{"q": "afvalpas", "results": 0}',
                                 headers={"origin": site, "content-type": "text/plain;charset=UTF-8",
                                          "sec-fetch-site": "cross-site"})
            assert beacon.status_code == 204 and len(mounted.beacons) == 2
            assert client.get("/api/summary").status_code == 401  # the rest still needs a login
    finally:
        server.stop()


def test_proxy_header_users_get_a_csrf_token_too(store: Path) -> None:
    """Signed in by a trusted proxy header, the page gets a token cookie and writes need it."""
    app = Mounted(store, "10.0.0.5", dashboard_proxy_user_header="X-Forwarded-User").app
    client = TestClient(app, base_url="http://10.0.0.5:8000", headers={"x-forwarded-user": "anna"})
    page = client.get("/dossiers")
    assert page.status_code == 200 and CSRF_COOKIE in client.cookies
    token = client.cookies[CSRF_COOKIE]
    body = {"name": "Paspoort", "keywords": ["paspoort"]}
    origin = {"origin": "http://10.0.0.5:8000"}
    assert refused_by_guard(client.post("/api/dossiers", json=body, headers=origin))
    as_bob = client.post("/api/dossiers", json=body, headers={**origin, "x-csrf-token": token, "x-forwarded-user": "bob"})
    assert refused_by_guard(as_bob)
    assert client.post("/api/dossiers", json=body, headers={**origin, "x-csrf-token": token}).status_code == 201

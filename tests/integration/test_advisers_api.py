"""Advisers' API and access: dossiers over HTTP, drill-down parameters, login when bound to a non-local address."""
from __future__ import annotations

import warnings
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from pipeline.apps.advisers.settings import AdvisersSettings
from pipeline.apps.dashboard.access import hash_password, is_loopback, login_page, needs_login, verify_password
from pipeline.apps.dashboard.app import create_app, dashboard_app
from pipeline.apps.dashboard.server import DashboardServer
from pipeline.apps.dashboard.sessions import SessionStore
from pipeline.bench.synthetic_signals import enriched_doc
from pipeline.sinks.sqlite.store import SqliteStore

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc).timestamp()
H = 3_600.0
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def password_hash() -> str:
    """One scrypt hash for the module (hashing is deliberately slow)."""
    return hash_password(PASSWORD)


def settings(**extra: object) -> AdvisersSettings:
    """Settings for a Zeist dashboard."""
    return AdvisersSettings(municipality="Zeist", neighbourhoods=["Centrum", "Kerckebosch"], **extra)


@pytest.fixture
def filled(store_path: Path) -> Path:
    """A store with roadworks messages."""
    store = SqliteStore(store_path)
    store.write(None, None, [
        enriched_doc("twitter:1", T0 - 1 * H, "Omleiding Slotlaan is een chaos", topic="verkeer", place="Centrum"),
        enriched_doc("twitter:2", T0 - 5 * H, "@gemeentezeist Slotlaan weer open?", topic="verkeer", sentiment="neutral"),
        enriched_doc("facebook:3", T0 - 30 * H, "Omleiding prima geregeld", topic="verkeer", sentiment="positive"),
        enriched_doc("twitter:4", T0 - 2 * H, "Container vol", topic="afval"),
        enriched_doc("call_note:5", T0 - 26 * H, "Graag terugbellen over de Slotlaan", topic="verkeer",
                     meta={"callback": True}),
    ])
    store.close()
    return store_path


def test_dossier_lifecycle_and_drill_down(filled: Path) -> None:
    """Create, list, report, list its messages with filters, delete; bad input gives 400 with a reason."""
    client = TestClient(create_app(filled, settings()), headers={"origin": "http://testserver"})
    body = {"name": "Wegwerkzaamheden Slotlaan", "keywords": ["Slotlaan", "omleiding"], "topics": ["verkeer"],
            "start": "2026-02-28", "end": "2026-03-02"}
    created = client.post("/api/dossiers", json=body)
    assert created.status_code == 201, created.text
    dossier = created.json()
    assert dossier["keywords"] == ["slotlaan", "omleiding"] and dossier["end"] == T0 - 10 * H + 86_400
    assert [d["name"] for d in client.get("/api/dossiers").json()["dossiers"]] == ["Wegwerkzaamheden Slotlaan"]
    report = client.get(f"/api/dossiers/{dossier['id']}").json()
    assert report["current"]["total"] == 4
    assert report["current"]["sentiments"] == {"negative": 2, "neutral": 1, "positive": 1}
    listed = client.get("/api/signals", params={"dossier": dossier["id"], "limit": 50}).json()["signals"]
    assert [s["id"] for s in listed] == ["twitter:1", "twitter:2", "call_note:5", "facebook:3"]
    hour = client.get("/api/signals", params={"dossier": dossier["id"], "from": T0 - 5 * H, "to": T0 - 4 * H}).json()
    assert [s["id"] for s in hour["signals"]] == ["twitter:2"]
    negative = client.get("/api/signals", params={"dossier": dossier["id"], "sentiment": "negative"}).json()
    assert [s["id"] for s in negative["signals"]] == ["twitter:1", "call_note:5"]
    term = client.get("/api/signals", params={"term": "container"}).json()
    assert [s["id"] for s in term["signals"]] == ["twitter:4"]
    for bad, reason in (({"name": "x"}, "keyword or topic"), ({"name": "", "topics": ["verkeer"]}, "name"),
                        ({"name": "x", "topics": ["verkeer"], "channels": ["fax"]}, "unknown channels"),
                        ({"name": "x", "topics": ["verkeer"], "place": "Atlantis"}, "neighbourhood"),
                        ({"name": "x", "topics": ["verkeer"], "start": "gisteren"}, "date")):
        response = client.post("/api/dossiers", json=bad)
        assert response.status_code == 400 and reason in response.json()["error"], (bad, response.text)
    assert client.post("/api/dossiers", content="name=x", headers={"content-type": "application/x-www-form-urlencoded"}
                       ).status_code == 415
    assert client.get("/api/signals", params={"dossier": 999}).status_code == 400
    assert client.get("/api/dossiers/999").status_code == 404
    assert client.delete(f"/api/dossiers/{dossier['id']}").json() == {"deleted": True}
    assert client.get("/api/dossiers").json()["dossiers"] == []


def test_whats_new_attention_and_digest_endpoints(filled: Path) -> None:
    """The JSON endpoints answer; the digest page escapes and carries its own strict CSP."""
    client = TestClient(create_app(filled, settings(social_reply_hours=12)))
    attention = client.get("/api/attention").json()
    assert [i["id"] for i in attention["items"]] == ["call_note:5", "twitter:2"]
    assert attention["norms"]["social"]["hours"] == 12
    assert client.get("/api/attention", params={"limit": "x"}).status_code == 400
    news = client.get("/api/whats-new", params={"hours": 48}).json()
    assert client.get("/api/whats-new", params={"hours": 168}).status_code == 400
    assert news["hours"] == 48 and news["topics"][0]["key"] == "verkeer"
    assert client.get("/api/whats-new", params={"hours": 0}).status_code == 400
    digest = client.get("/digest")   # the page shell; its script draws /api/digest
    assert digest.status_code == 200 and "unsafe-inline" not in digest.headers["content-security-policy"]
    assert 'aria-current="page">Dagoverzicht' in digest.text and "<style" not in digest.text
    figures = client.get("/api/digest").json()
    assert figures["hours"] == 24 and figures["total"] == sum(t["count"] for t in figures["topics"])
    for page in ("/dossiers", "/dossiers/1", "/nieuw", "/aandacht"):
        assert client.get(page).status_code == 200


def test_passwords_and_sessions() -> None:
    """scrypt hashes verify only the right password; session cookies are signed and expire."""
    stored = hash_password("geheim", salt=b"0123456789abcdef")
    assert verify_password("geheim", stored) and not verify_password("Geheim", stored)
    assert not verify_password("geheim", "md5$abc") and not verify_password("geheim", "nonsense")
    clock = [1_000.0]
    sessions = SessionStore(3_600, "key", clock=lambda: clock[0])
    sid = sessions.create("anna")
    assert sessions.user(sid) == "anna" and sessions.user("forged") is None and sessions.user(None) is None
    token = sessions.csrf_token(sid)
    assert sessions.csrf_ok(sid, token) and not sessions.csrf_ok(sid, "") and not sessions.csrf_ok(sessions.create("b"), token)
    assert sessions.revoke(sid) and sessions.user(sid) is None and not sessions.revoke(sid)  # logout ends it
    later = sessions.create("anna")
    clock[0] += 3_601
    assert sessions.user(later) is None  # expired
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert needs_login("0.0.0.0") and needs_login("192.168.1.10") and needs_login("::")


def test_login_page_escapes_everything() -> None:
    """Values echoed on the login page cannot become markup."""
    page = login_page("<b>Zeist</b>", "/x\"><script>alert(1)</script>", user="<img src=x>", error="<i>fout</i>")
    assert "<script>" not in page and "<img" not in page and "<b>Zeist" not in page and "<i>" not in page
    assert "&lt;img src=x&gt;" in page


def test_non_local_binding_requires_login(filled: Path, password_hash: str) -> None:
    """Bound to 0.0.0.0 pages redirect to /login and the API answers 401 until a correct login; 127.0.0.1 is open."""
    local = TestClient(dashboard_app(filled, settings(), "127.0.0.1"), base_url="http://127.0.0.1:8000")
    assert local.get("/api/summary").status_code == 200

    with pytest.raises(ValueError, match="no account is configured"):
        dashboard_app(filled, settings(), "0.0.0.0")
    app = dashboard_app(filled, settings(dashboard_accounts={"anna": password_hash}), "0.0.0.0")
    server = DashboardServer(app, "0.0.0.0", 0)
    server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        with httpx.Client(base_url=base, headers={"origin": base}, follow_redirects=False, timeout=20) as http:
            page = http.get("/dossiers/1?sentiment=negative")
            assert page.status_code == 303
            assert page.headers["location"] == "/login?next=%2Fdossiers%2F1%3Fsentiment%3Dnegative"
            assert http.get("/api/signals").status_code == 401
            assert http.get("/static/app.css").status_code == 200
            wrong = http.post("/login", data={"user": "anna", "password": "nope", "next": "/nieuw"})
            assert wrong.status_code == 401 and "onjuist wachtwoord" in wrong.text
            good = http.post("/login", data={"user": "anna", "password": PASSWORD, "next": "//evil.example/"})
            assert good.status_code == 303 and good.headers["location"] == "/"
            cookie = good.headers["set-cookie"]
            assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=28800" in cookie
            assert http.get("/api/signals").status_code == 200
            assert http.get("/logout").status_code == 303
    finally:
        server.stop()

    open_app = create_app(filled, settings())
    with pytest.raises(RuntimeError, match="without a login"):
        DashboardServer(open_app, "0.0.0.0", 0).start()


def test_trusted_proxy_header_only_when_configured(filled: Path) -> None:
    """X-Forwarded-User logs in only when that header is configured."""
    proxied = TestClient(dashboard_app(filled, settings(dashboard_proxy_user_header="X-Forwarded-User"), "10.0.0.5"),
                         follow_redirects=False)
    assert proxied.get("/api/summary").status_code == 401
    assert proxied.get("/api/summary", headers={"X-Forwarded-User": "anna"}).status_code == 200
    plain = TestClient(dashboard_app(filled, settings(dashboard_accounts={"bob": "scrypt$x"}), "10.0.0.5"),
                       follow_redirects=False)
    assert plain.get("/api/summary", headers={"X-Forwarded-User": "anna"}).status_code == 401


def test_hash_password_command() -> None:
    """`hash-password` prints a hash that verifies the given password."""
    from click.testing import CliRunner

    from pipeline.cli.dashboard import hash_password_command

    result = CliRunner().invoke(hash_password_command, ["--password", "s3cret"])
    assert result.exit_code == 0, result.output
    assert verify_password("s3cret", result.output.strip()) and not verify_password("other", result.output.strip())

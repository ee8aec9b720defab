"""Headless Chromium: a page on another local origin tries every preflight-free write against a logged-in
dashboard and changes nothing; the dashboard's own pages still write (with their CSRF token) without errors."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from fakes.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, watched_page
from fakes.search_fixtures import repeated
from pipeline.apps.advisers.settings import AdvisersSettings
from pipeline.apps.dashboard.access import hash_password
from pipeline.apps.dashboard.app import dashboard_app
from pipeline.apps.dashboard.features import feature_routes
from pipeline.apps.dashboard.server import DashboardServer
from pipeline.sinks.sqlite.store import SqliteStore

pytestmark = [pytest.mark.browser, needs_chromium]

PASSWORD = "correct horse battery"
WEEK = datetime(2024, 10, 8, tzinfo=timezone.utc).timestamp()
DOSSIER = {"name": "Overgenomen", "keywords": ["paspoort"]}
DECISION = {"group": "paspoort", "status": "ignored", "note": "van een andere site"}


def attacker_page(target: str) -> str:
    """A page that sends every write a browser allows without a preflight to `target`, then titles itself done."""
    dossier, decision = json.dumps(DOSSIER), json.dumps(DECISION)
    return f"""<!doctype html><html><body>
<iframe name="sink" style="display:none"></iframe>
<form id="plain" method="post" enctype="text/plain" target="sink" action="{target}/api/dossiers">
<input name='{dossier[:-1]}, "x": "' value='"}}'></form>
<form id="urlenc" method="post" target="sink" action="{target}/review/api/status">
<input name="group" value="paspoort"><input name="status" value="ignored"></form>
<script>
(async () => {{
  const target = {json.dumps(target)};
  const tries = [
    ["/api/dossiers", {dossier!r}], ["/review/api/status", {decision!r}],
  ];
  for (const [path, body] of tries) {{
    for (const type of ["text/plain; application/json", "text/plain", "application/x-www-form-urlencoded"]) {{
      try {{ await fetch(target + path, {{ method: "POST", mode: "no-cors", credentials: "include",
                                          headers: {{ "Content-Type": type }}, body }}); }} catch (e) {{}}
    }}
    const data = new FormData(); data.append("body", body);
    try {{ await fetch(target + path, {{ method: "POST", mode: "no-cors", credentials: "include", body: data }}); }}
    catch (e) {{}}
    navigator.sendBeacon(target + path, new Blob([body], {{ type: "text/plain" }}));
  }}
  document.getElementById("plain").submit();
  await new Promise((r) => setTimeout(r, 300));
  document.getElementById("urlenc").submit();
  await new Promise((r) => setTimeout(r, 700));
  document.title = "done";
}})();
</script></body></html>"""


def writes(store: Path) -> tuple[list[str], dict[str, str]]:
    """Dossier names and review decisions stored."""
    with sqlite3.connect(store) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM dossiers")]
        try:
            decisions = dict(conn.execute("SELECT query_group, status FROM search_review"))
        except sqlite3.OperationalError:
            decisions = {}
    return names, decisions


def test_another_local_origin_cannot_write(store_path: Path) -> None:
    """Logged in on the dashboard, the user visits a page on another local port: nothing is written."""
    from playwright import sync_api

    writer = SqliteStore(store_path)
    writer.write(None, None, repeated("paspoort", 4, WEEK + 60, results=0) + repeated("afvalpas", 3, WEEK + 90, results=0))
    writer.close()
    settings = AdvisersSettings(municipality="Zeist", neighbourhoods=["Centrum"],
                                dashboard_accounts={"anna": hash_password(PASSWORD)})
    dashboard = DashboardServer(dashboard_app(store_path, settings, "0.0.0.0", feature_routes(store_path)), "0.0.0.0", 0)
    dashboard.start()
    own = f"http://127.0.0.1:{dashboard.port}"
    evil_page = attacker_page(own)

    async def evil(_request: Any) -> HTMLResponse:
        return HTMLResponse(evil_page)

    attacker = DashboardServer(Starlette(routes=[Route("/", evil)]), "127.0.0.1", 0)
    attacker.start()
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context()
                page, dialogs, errors = watched_page(context)
                page.goto(f"{own}/login")
                page.fill("input[name=user]", "anna")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"{own}/", timeout=10_000)
                page.wait_for_load_state("networkidle")

                visit = context.new_page()  # same browser profile: the session cookie is there
                visit.goto(attacker.url)
                visit.wait_for_function("document.title === 'done'", timeout=20_000)
                visit.close()
                assert writes(store_path) == ([], {})

                # The dashboard's own pages still write, sending the session's CSRF token.
                page.goto(f"{own}/review?window=7d&end=2024-10-14")
                page.wait_for_selector("body[data-loaded=true]", timeout=10_000)
                page.click('tr[data-group="afvalpas"] button[data-action="handle"]')
                page.fill('tr[data-group="afvalpas"] + tr.rv-editor-row input', "pagina aangepast")
                page.click('tr[data-group="afvalpas"] + tr.rv-editor-row button[data-action="save-handled"]')
                page.wait_for_selector('tr[data-group="afvalpas"]', state="detached", timeout=10_000)
                page.goto(f"{own}/dossiers")
                page.fill("#dossier-form input[name=name]", "Paspoort")
                page.fill("#dossier-form input[name=keywords]", "paspoort")
                page.click("#dossier-form button[type=submit]")
                page.wait_for_url("**/dossiers/1", timeout=10_000)
                page.wait_for_load_state("networkidle")
                assert writes(store_path) == (["Paspoort"], {"afvalpas": "handled"})
                assert errors == [] and dialogs == []
            finally:
                browser.close()
    finally:
        attacker.stop()
        dashboard.stop()

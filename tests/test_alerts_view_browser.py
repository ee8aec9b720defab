"""The alerts view in headless Chromium: rows from the store, details on click, resident text shown as text."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from starlette.applications import Starlette

from pipeline.alerts.model import Alert, AlertEvent, Example, dashboard_link
from pipeline.sinks.sqlite.alerts import AlertStore
from pipeline.apps.dashboard.alerts_routes import alerts_routes
from pipeline.apps.dashboard.server import DashboardServer

from fakes.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, watched_page
MARKUP = '<img src=x onerror="alert(1)"> Slotlaan dicht'

pytestmark = [pytest.mark.browser,
              needs_chromium]


def _event(topic: str, hours_ago: float, closed: bool) -> AlertEvent:
    start = datetime.now(timezone.utc) - timedelta(hours=hours_ago)
    end = start + timedelta(hours=1) if closed else None
    scope = {"type": "place", "value": "Centrum"} if topic == "verkeer" else {"type": "topic", "value": topic}
    alert = Alert(id=f"{topic}-{start:%Y%m%dT%H%MZ}", topic=topic, scope=scope, start=start, end=end, observed=35,
                  expected=3.9, p_value=1e-9, trigger="volume", new_terms=["slotlaan"],
                  examples=[Example(id="twitter:1", text=MARKUP, channel="twitter")],
                  link=dashboard_link("", topic, scope, start, end))
    return AlertEvent("closed" if closed else "opened", alert, start)


def test_alerts_page_lists_alerts_and_shows_details(store_path: Path, artifacts: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    store = AlertStore(store_path)
    store.write([_event("verkeer", 1, closed=False), _event("afval", 5, closed=True)])
    store.close()
    server = DashboardServer(Starlette(routes=alerts_routes(store_path)), "127.0.0.1", 0)
    server.start()
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page, dialogs, errors = watched_page(browser, console_errors=False)
                page.goto(server.url + "alerts")
                page.wait_for_selector("tr.alert-row", timeout=20_000)
                rows = page.locator("tr.alert-row")
                assert rows.count() == 2
                first = rows.nth(0)
                assert first.locator("td").nth(0).text_content() == "lopend"
                assert first.locator("td").nth(2).text_content() == "wijk: Centrum"
                assert rows.nth(1).locator("td").nth(0).text_content() == "voorbij"
                first.click()
                details = page.locator("tr.details").nth(0)
                assert details.is_visible()
                assert MARKUP in details.text_content() and details.locator("img").count() == 0
                assert details.locator("a").get_attribute("href").startswith("/?topic=verkeer&place=Centrum")
                page.fill("#topic", "afval")
                page.click("button[type=submit]")
                page.wait_for_function("document.querySelectorAll('tr.alert-row').length === 1", timeout=10_000)
                page.screenshot(path=str(artifacts / "alerts-view.png"))
                assert dialogs == [] and errors == []
            finally:
                browser.close()
    finally:
        server.stop()

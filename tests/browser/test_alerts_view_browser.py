"""The alerts view in headless Chromium: rows from the store, details on click, resident text shown as text."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from fakes.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, watched_page
from pipeline.alerts.model import Alert, AlertEvent, Example, dashboard_link
from pipeline.apps.dashboard.alerts_routes import alerts_routes
from pipeline.apps.dashboard.app import create_app
from pipeline.apps.dashboard.server import DashboardServer
from pipeline.core.settings import Settings
from pipeline.sinks.sqlite.alerts import AlertStore

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
                  link=dashboard_link("", topic, scope, start, end),
                  severity="waarschuwing" if topic == "verkeer" else "alarm",
                  band=[0.4, 7.5] if topic == "verkeer" else None)
    return AlertEvent("closed" if closed else "opened", alert, start)


def test_alerts_page_lists_alerts_and_shows_details(store_path: Path, artifacts: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    store = AlertStore(store_path)
    store.write([_event("verkeer", 1, closed=False), _event("afval", 5, closed=True)])
    store.close()
    app = create_app(store_path, Settings(municipality="Zeist"), alerts_routes(store_path, "Zeist"))
    server = DashboardServer(app, "127.0.0.1", 0)
    server.start()
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page, dialogs, errors = watched_page(browser, viewport={"width": 1366, "height": 900})
                page.goto(server.url + "alerts")
                page.wait_for_selector(".alert-card", timeout=20_000)
                cards = page.locator(".alert-card")
                assert cards.count() == 2
                first = cards.nth(0)
                assert first.get_attribute("data-status") == "open"
                assert first.locator(".badge-episode-open").text_content() == "Loopt"
                assert first.locator(".alert-scope").text_content() == "Wijk: Centrum"
                assert first.locator(".badge-severity-waarschuwing").text_content() == "Waarschuwing"
                assert first.locator(".alert-band").text_content() == "gebruikelijk 0,4–7,5"
                assert cards.nth(1).locator(".badge-severity-alarm").text_content() == "Alarm"
                assert cards.nth(1).locator(".alert-band").count() == 0     # an alert without a band shows none
                assert cards.nth(1).locator(".badge-episode-closed").text_content() == "Voorbij"
                assert MARKUP in first.locator(".examples").text_content() and first.locator("img").count() == 0
                link = first.locator(".alert-links a").nth(0).get_attribute("href")
                assert link.startswith("/?period=all&topic=verkeer&place=Centrum&from=")
                page.select_option("#filter-topic", "afval")
                page.wait_for_function("() => document.querySelectorAll('.alert-card').length === 1", timeout=10_000)
                assert "topic=afval" in page.url
                page.screenshot(path=str(artifacts / "alerts-view.png"))
                assert dialogs == [] and errors == []
            finally:
                browser.close()
    finally:
        server.stop()

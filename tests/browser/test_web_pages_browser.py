"""Every page of the dashboard in headless Chromium: no script or console errors under the strict CSP, the shared
navigation reaches every page, empty states explain themselves, a clicked topic filters the whole live page, and
the duty officer acknowledges and closes an alert with a note. Screenshots go to test-artifacts/."""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from fakes.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, watched_page
from pipeline.alerts.model import Alert, AlertEvent, Example, dashboard_link
from pipeline.apps.dashboard.app import create_app
from pipeline.apps.dashboard.features import feature_routes
from pipeline.apps.dashboard.server import DashboardServer
from pipeline.apps.pages import NAV
from pipeline.bench.synthetic_signals import enriched_doc, sample_docs
from pipeline.core.settings import Settings
from pipeline.sinks.sqlite.alerts import AlertStore
from pipeline.sinks.sqlite.store import SqliteStore

pytestmark = [pytest.mark.browser, needs_chromium]
MARKUP = '<img src=x onerror="alert(1)"> Slotlaan dicht'
# What each page shows once its script has drawn it.
READY = {"/": "#signals-body tr", "/dossiers": "#dossier-list", "/nieuw": "#rising-terms",
         "/aandacht": "#view table, #view .hint", "/digest": "#digest-total", "/review": "body[data-loaded]",
         "/alerts": "#alert-list > *", "/nakijken": "#queue-body tr"}


def _server(store_path: Path) -> DashboardServer:
    """The dashboard with every feature page, as `stadssignaal demo` serves it."""
    app = create_app(store_path, Settings(municipality="Zeist"), feature_routes(store_path, "Zeist"))
    server = DashboardServer(app, "127.0.0.1", 0)
    server.start()
    return server


def _fill(store_path: Path) -> str:
    """Eight days of signals, a Slotlaan spike in the last hour and its alert; returns the alert's id."""
    now = time.time()
    store = SqliteStore(store_path)
    store.write(None, None, sample_docs(1500, end=now - 3_600, span_seconds=8 * 86_400))
    store.write(None, None, [enriched_doc(f"twitter:spike{i}", now - 1_800 + i * 60, f"Slotlaan afgesloten {i}",
                                          topic="verkeer", place="Centrum") for i in range(25)])
    store.close()
    start = datetime.fromtimestamp(now - 1_800, timezone.utc)
    scope = {"type": "place", "value": "Centrum"}
    alert = Alert(id="verkeer-test", topic="verkeer", scope=scope, start=start, end=None, observed=25, expected=1.5,
                  p_value=1e-9, trigger="volume", new_terms=["slotlaan", "afgesloten"],
                  examples=[Example(id="twitter:spike1", text=MARKUP, channel="twitter",
                                    created_at=start.isoformat())],
                  link=dashboard_link("", "verkeer", scope, start, None))
    alerts = AlertStore(store_path)
    alerts.write([AlertEvent("opened", alert, start + timedelta(minutes=5))])
    alerts.close()
    return alert.id


def _visit(page: Any, base: str, path: str) -> None:
    """Open a page and wait until its script has drawn it."""
    page.goto(base.rstrip("/") + path)
    page.wait_for_selector(READY[path.split("?")[0]], timeout=30_000, state="attached")
    page.wait_for_timeout(300)


def test_every_page_without_errors_with_navigation_and_screenshots(store_path: Path, artifacts: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    alert_id = _fill(store_path)
    server = _server(store_path)
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page, dialogs, errors = watched_page(browser, viewport={"width": 1366, "height": 900})
                failed: list[str] = []
                page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
                for path, label in NAV:
                    _visit(page, server.url, path)
                    nav = page.locator("nav.pages a")
                    assert [a for a in nav.all_text_contents()] == [text for _, text in NAV], path
                    assert page.locator('nav.pages a[aria-current="page"]').text_content() == label
                    served = page.request.get(server.url.rstrip("/") + path)
                    assert "default-src 'self'" in served.headers["content-security-policy"], path
                    text = served.text()
                    assert "<style" not in text and " style=" not in text, f"inline style on {path}"
                    assert not re.search(r"<script(?![^>]*\bsrc=)", text), f"inline script on {path}"
                    assert page.locator("link[href='/static/app.css']").count() == 1, path
                    page.screenshot(path=str(artifacts / f"page{path.replace('/', '-') or '-'}.png"), full_page=True)
                    assert errors == [] and failed == [], (path, errors, failed)
                # every page is reached from the navigation of another
                _visit(page, server.url, "/alerts")
                for path, _label in NAV:
                    page.click(f'nav.pages a[href="{path}"]')
                    page.wait_for_selector(READY[path], timeout=30_000, state="attached")
                    assert page.url.rstrip("/").endswith(path.rstrip("/")) or path == "/"
                assert errors == [] and dialogs == [] and failed == []

                # the duty officer's view: curve, terms, example as text, place, acknowledge and close with a note
                _visit(page, server.url, "/alerts")
                card = page.locator(f'.alert-card[data-id="{alert_id}"]')
                page.wait_for_selector(f'.alert-card[data-id="{alert_id}"] svg.curve rect.observed', timeout=15_000,
                                       state="attached")
                assert card.locator("svg.curve polyline.expected").count() == 1   # eight days of history
                assert "Verkeer en wegwerkzaamheden" in card.locator("h2").text_content()
                assert card.locator(".alert-scope").text_content() == "Wijk: Centrum"
                assert card.locator(".term-chip").all_text_contents() == ["slotlaan", "afgesloten"]
                assert MARKUP in card.locator(".examples").text_content()
                assert card.locator(".examples img").count() == 0
                assert re.search(r"\d{1,2} \w+ \d\d:\d\d CE(S)?T", card.locator(".alert-when").text_content())
                card.locator(".note-input").fill("Ploeg wegbeheer ingelicht")
                card.locator('button[data-action="ack"]').click()
                page.wait_for_selector(f'.alert-card[data-id="{alert_id}"][data-handling="acknowledged"]', timeout=10_000)
                card = page.locator(f'.alert-card[data-id="{alert_id}"]')
                assert "lokaal · bevestigd" in card.locator(".alert-notes").text_content()
                assert "Ploeg wegbeheer ingelicht" in card.locator(".alert-notes").text_content()
                card.locator(".note-input").fill("Omleiding staat, bewoners geïnformeerd")
                card.locator('button[data-action="close"]').click()
                page.wait_for_selector(f'.alert-card[data-id="{alert_id}"][data-handling="closed"]', timeout=10_000)
                page.screenshot(path=str(artifacts / "page-alerts-handled.png"), full_page=True)
                # a colleague opening the page later sees the notes
                other, _, other_errors = watched_page(browser, viewport={"width": 1366, "height": 900})
                _visit(other, server.url, f"/alerts?id={alert_id}")
                notes = other.locator(f'.alert-card[data-id="{alert_id}"] .alert-notes li')
                assert notes.count() == 2 and "afgehandeld" in notes.nth(1).text_content()

                # the alert's link opens the live page on the place, topic and time of the spike
                _visit(page, server.url, "/alerts")
                page.click(f'.alert-card[data-id="{alert_id}"] .alert-links a >> nth=0')
                page.wait_for_selector("#signals-body tr[data-id]", timeout=15_000)
                assert page.locator("#selection-banner").is_visible()
                places = page.locator("#signals-body td.col-place").all_text_contents()
                assert places and set(places) == {"Centrum"}
                assert errors == [] and other_errors == [] and dialogs == [] and failed == []
            finally:
                browser.close()
    finally:
        server.stop()


def test_topic_click_filters_the_whole_live_page(store_path: Path, artifacts: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    _fill(store_path)
    server = _server(store_path)
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page, dialogs, errors = watched_page(browser, viewport={"width": 1366, "height": 900})
                _visit(page, server.url, "/")
                page.wait_for_selector("#topic-chart svg", timeout=15_000)
                total_before = page.locator("#card-total-value").text_content()
                assert re.fullmatch(r"\d{1,3}(\.\d{3})*", total_before)   # Dutch thousands separators
                page.click('#topic-chart [data-key="verkeer"]')
                page.wait_for_function("before => document.getElementById('card-total-value').textContent !== before",
                                       arg=total_before, timeout=15_000)
                assert "topic=verkeer" in page.url
                page.wait_for_function("() => document.querySelectorAll('#topic-chart g.bar-row').length === 1",
                                       timeout=15_000)
                labels = page.locator("#topic-chart text").all_text_contents()
                assert any("Verkeer en wegwerkzaamheden" in t for t in labels)
                assert not any(t.startswith("Afval") for t in labels)
                page.wait_for_function("() => [...document.querySelectorAll('#signals-body td.col-topic')]"
                                       ".every(td => td.textContent.startsWith('Verkeer'))", timeout=10_000)
                assert page.locator("#active-filters [data-filter=topic]").count() == 1
                page.screenshot(path=str(artifacts / "page-live-topic-selected.png"), full_page=True)
                page.click("#active-filters [data-filter=topic] button")
                page.wait_for_function("before => document.getElementById('card-total-value').textContent === before",
                                       arg=total_before, timeout=15_000)
                assert errors == [] and dialogs == []
            finally:
                browser.close()
    finally:
        server.stop()


def test_empty_store_pages_say_what_will_appear(tmp_path: Path, artifacts: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    server = _server(tmp_path / "empty.db")
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page, dialogs, errors = watched_page(browser, viewport={"width": 1366, "height": 900})
                _visit(page, server.url, "/alerts")
                assert "Nog geen pieken" in page.locator(".empty-state").text_content()
                assert page.locator(".empty-state a[href='/']").count() == 1
                page.screenshot(path=str(artifacts / "page-alerts-empty.png"), full_page=True)
                _visit(page, server.url, "/digest")
                assert "De opslag reikt niet terug" in page.locator(".notice").text_content()
                page.screenshot(path=str(artifacts / "page-digest-empty.png"), full_page=True)
                _visit(page, server.url, "/review")
                page.wait_for_selector("#empty:not([hidden])", timeout=10_000)
                assert "zodra bewoners" in page.locator("#empty").text_content()
                assert errors == [] and dialogs == []
            finally:
                browser.close()
    finally:
        server.stop()

"""The advisers' pages in headless Chromium: create a dossier, drill down by clicking, reload a shared URL."""
from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from fakes.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, watched_page
from pipeline.apps.advisers.settings import AdvisersSettings
from pipeline.apps.dashboard.app import create_app
from pipeline.apps.dashboard.server import DashboardServer
from pipeline.bench.synthetic_signals import enriched_doc, sample_docs
from pipeline.sinks.sqlite.store import SqliteStore

SCRIPT_POST = "<script>alert(1)</script> omleiding Slotlaan, weer vast"
IMG_POST = '@gemeentezeist <img src=x onerror="alert(2)"> wanneer gaat de Slotlaan weer open?'

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]

ROWS = "[...document.querySelectorAll('#signals-body tr[data-id]')]"


def row_ids(page) -> list[str]:  # noqa: ANN001 - playwright page
    """The ids of the listed messages."""
    return page.evaluate(f"() => {ROWS}.map(r => r.dataset.id)")


def query_of(url: str) -> dict[str, list[str]]:
    """The query string of a URL."""
    return parse_qs(urlparse(url).query)


def test_dossier_drill_down_and_shared_url(store_path: Path, artifacts: Path) -> None:
    """Create a dossier, see its chart and messages, filter by clicks, reload and open the URL elsewhere."""
    sync_api = pytest.importorskip("playwright.sync_api")
    now = time.time()
    store = SqliteStore(store_path)
    docs = sample_docs(300, end=now - 120, seed=5)
    docs.append(enriched_doc("twitter:xss1", now - 100, SCRIPT_POST, topic="verkeer", place="Centrum"))
    docs.append(enriched_doc("twitter:xss2", now - 30 * 3_600, IMG_POST, topic="verkeer", sentiment="neutral"))
    docs.append(enriched_doc("call_note:cb1", now - 5 * 3_600, "Mevrouw vraagt om terugbellen over de omleiding",
                             topic="verkeer", sentiment="neutral", meta={"callback": True, "team": "KCC"}))
    store.write(None, None, docs)
    store.close()
    settings = AdvisersSettings(municipality="Zeist")
    server = DashboardServer(create_app(store_path, settings), "127.0.0.1", 0)
    server.start()
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page, dialogs, errors = watched_page(browser, viewport={"width": 1440, "height": 1000})

                # create a dossier through the form
                page.goto(server.url + "dossiers")
                page.fill("#dossier-form input[name=name]", "Wegwerkzaamheden Slotlaan")
                page.fill("#dossier-form input[name=keywords]", "slotlaan, omleiding")
                page.check("#dossier-form input[name=topics][value=verkeer]")
                page.click("#dossier-form button[type=submit]")
                page.wait_for_url("**/dossiers/1", timeout=10_000)
                page.wait_for_selector("#dossier-chart svg rect.overlay", timeout=10_000)
                page.wait_for_selector("#signals-body tr[data-id]", timeout=10_000)
                assert page.locator("#dossier-name").text_content() == "Wegwerkzaamheden Slotlaan"
                total = int(page.locator("#card-dossier-total .card-value").text_content().replace(".", ""))
                assert total > 20
                assert page.locator("#dossier-chart svg .bars rect").count() > 3
                assert page.locator('tr[data-id="twitter:xss1"] .message').text_content() == SCRIPT_POST
                assert page.locator("#signals-body script, #signals-body img").count() == 0
                page.screenshot(path=str(artifacts / "dossier.png"), full_page=True, animations="disabled")

                # drill down: a term, then a sentiment, then a bar of the time chart
                page.locator("#dossier-terms .bar-row", has_text="school").click()
                page.wait_for_function(f"() => {ROWS}.length > 0 && {ROWS}.every(r => "
                                       "r.querySelector('.message').textContent.toLowerCase().includes('school'))",
                                       timeout=10_000)
                assert query_of(page.url)["term"] == ["school"]
                page.click("#dossier-legend button[data-sentiment=negative]")
                page.wait_for_function(f"() => {ROWS}.length > 0 && {ROWS}.every(r => r.querySelector('.badge-negative'))",
                                       timeout=10_000)
                box = page.locator("#dossier-chart svg rect.overlay").bounding_box()
                assert box is not None
                page.mouse.click(box["x"] + box["width"] - 3, box["y"] + box["height"] / 2)  # the newest bar
                page.wait_for_function("() => new URLSearchParams(location.search).has('from')", timeout=10_000)
                params = query_of(page.url)
                lower, upper = float(params["from"][0]), float(params["to"][0])
                page.wait_for_selector("#active-filters [data-filter=from]", timeout=10_000)
                page.wait_for_function(f"() => {ROWS}.length > 0", timeout=10_000)
                shown = row_ids(page)
                stamps = page.evaluate(f"() => {ROWS}.map(r => r.querySelector('.col-time').title)")
                for stamp in stamps:
                    moment = time.mktime(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
                    assert lower - 1 <= moment < upper + 1
                page.screenshot(path=str(artifacts / "drilldown.png"), full_page=True, animations="disabled")

                # the URL reproduces the view after a reload and in another tab
                shared = page.url
                page.reload()
                page.wait_for_function(f"() => {ROWS}.length > 0", timeout=10_000)
                assert row_ids(page) == shown
                assert page.locator("#active-filters .filter-chip").count() == 3
                other = browser.new_page(viewport={"width": 1200, "height": 900})
                other.goto(shared)
                other.wait_for_function(f"() => {ROWS}.length > 0", timeout=10_000)
                assert row_ids(other) == shown
                assert other.locator("#dossier-terms .bar-row.selected").text_content().startswith("school")
                other.close()
                # removing a chip widens the list again, and Back restores the narrower view
                page.click("#active-filters [data-filter=from] button")
                page.wait_for_function(f"n => {ROWS}.length > n", arg=len(shown), timeout=10_000)
                page.go_back()
                page.wait_for_function(f"n => {ROWS}.length === n", arg=len(shown), timeout=10_000)

                # the live dashboard keeps its filters in the URL too; a channel click drills down
                page.goto(server.url + "?channel=facebook&period=24h")
                page.wait_for_function(f"() => {ROWS}.length > 0 && {ROWS}.every(r => r.dataset.id.startsWith('facebook:'))",
                                       timeout=10_000)
                assert page.locator("#filter-channel").input_value() == "facebook"
                page.click("#sentiment-legend button[data-sentiment=positive]")
                page.wait_for_function(f"() => {ROWS}.length > 0 && {ROWS}.every(r => r.querySelector('.badge-positive'))",
                                       timeout=10_000)
                assert query_of(page.url)["sentiment"] == ["positive"]

                # what's new and needs attention
                page.goto(server.url + "nieuw")
                page.wait_for_selector("#rising-terms .rise-item", timeout=10_000)
                page.locator("#rising-terms button.rise-term").first.click()
                page.wait_for_function("() => new URLSearchParams(location.search).has('term')", timeout=10_000)
                page.wait_for_function(f"() => {ROWS}.length > 0", timeout=10_000)
                page.screenshot(path=str(artifacts / "whatsnew.png"), full_page=True, animations="disabled")
                page.goto(server.url + "aandacht")
                page.wait_for_selector("#attention-body tr[data-id]", timeout=10_000)
                ids = page.evaluate("() => [...document.querySelectorAll('#attention-body tr[data-id]')].map(r => r.dataset.id)")
                assert ids[:2] == ["twitter:xss2", "call_note:cb1"]  # oldest first
                assert "overdue" in (page.locator('tr[data-id="twitter:xss2"]').get_attribute("class") or "")
                assert page.locator('tr[data-id="twitter:xss2"] .message').text_content() == IMG_POST
                assert page.locator("#attention-body img").count() == 0
                assert "24 uur" in page.locator("#norms").text_content()
                page.screenshot(path=str(artifacts / "attention.png"), full_page=True, animations="disabled")
                page.goto(server.url + "digest")
                assert page.locator("#digest-total").text_content().isdigit()
                page.screenshot(path=str(artifacts / "digest.png"), full_page=True)
                assert dialogs == []
                assert errors == []
            finally:
                browser.close()
    finally:
        server.stop()

"""The dashboard page in headless Chromium: live updates without reload, filters, and resident text shown as text."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from fakes.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, watched_page
from pipeline.apps.dashboard.app import create_app
from pipeline.apps.dashboard.server import DashboardServer
from pipeline.bench.synthetic_signals import enriched_doc, sample_docs
from pipeline.core.settings import Settings
from pipeline.sinks.sqlite.store import SqliteStore

SCRIPT_POST = "<script>alert(1)</script> wegwerkzaamheden Slotlaan"
IMG_POST = '<img src=x onerror="alert(2)"> lantaarnpaal kapot'

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


def test_dashboard_updates_live_and_shows_markup_as_text(store_path: Path, artifacts: Path) -> None:
    """Load the page, write signals into the store, and watch them appear; markup stays text."""
    sync_api = pytest.importorskip("playwright.sync_api")
    now = time.time()
    store = SqliteStore(store_path)
    docs = sample_docs(260, end=now - 120)
    docs.append(enriched_doc("twitter:xss1", now - 90, SCRIPT_POST, topic="verkeer", place="Centrum"))
    docs.append(enriched_doc("facebook:xss2", now - 80, IMG_POST, topic="openbare_ruimte"))
    store.write(None, None, docs)
    server = DashboardServer(create_app(store_path, Settings(municipality="Zeist")), "127.0.0.1", 0)
    server.start()
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page, dialogs, errors = watched_page(browser, viewport={"width": 1440, "height": 1000})
                page.goto(server.url)

                # markup in resident text is shown literally and never becomes elements
                page.wait_for_selector('tr[data-id="twitter:xss1"]', timeout=30_000)
                assert page.locator('tr[data-id="twitter:xss1"] .message').text_content() == SCRIPT_POST
                assert page.locator('tr[data-id="facebook:xss2"] .message').text_content() == IMG_POST
                assert page.locator("#signals-body img, #signals-body script").count() == 0
                assert page.locator("#volume-chart svg rect").count() > 10
                assert page.locator("#zero-list .zero-item").count() > 0

                # live: rows written to the store appear without a reload
                page.evaluate("window.__sameDocument = 42")
                # the 24 h window is anchored at the newest signal, so older ones may slide out of the total
                # as new ones arrive; the count of everything stored only grows
                total_before = page.locator("#card-total-sub").text_content()
                store.write(None, None, [
                    enriched_doc("twitter:live1", now, "Net binnen: verkeerslicht Slotlaan staat op rood", topic="verkeer",
                                 place="Centrum"),
                    enriched_doc("call_note:live2", now + 1, "Meneer belt over de omleiding, graag terugbellen",
                                 topic="verkeer", sentiment="neutral", pii=("phone", "name")),
                ])
                page.wait_for_selector('tr[data-id="call_note:live2"]', timeout=12_000)  # polls every 2 s
                page.wait_for_selector('tr[data-id="twitter:live1"]', timeout=2_000)
                assert page.evaluate("window.__sameDocument") == 42
                page.wait_for_function(
                    "before => document.getElementById('card-total-sub').textContent !== before",
                    arg=total_before, timeout=12_000)

                # filters narrow the list
                page.select_option("#filter-channel", "facebook")
                page.wait_for_function(
                    "() => { const rows = [...document.querySelectorAll('#signals-body tr[data-id]')];"
                    " return rows.length > 0 && rows.every(r => r.dataset.id.startsWith('facebook:')); }",
                    timeout=10_000)  # under the 15 s full refresh: the filter itself must act
                page.select_option("#filter-channel", "")
                page.fill("#filter-q", "<script>")
                page.wait_for_function(
                    "() => { const rows = [...document.querySelectorAll('#signals-body tr[data-id]')];"
                    " return rows.length === 1 && rows[0].dataset.id === 'twitter:xss1'; }", timeout=10_000)
                page.fill("#filter-q", "")
                page.wait_for_function(
                    "() => document.querySelectorAll('#signals-body tr[data-id]').length > 20", timeout=10_000)

                # "disabled" fast-forwards the arrival highlight, so the screenshot shows the settled page
                page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True, animations="disabled")

                # older pages load below the first one; a click on a topic bar filters the list
                shown = page.locator("#signals-body tr[data-id]").count()
                page.click("#more")
                page.wait_for_function(
                    f"() => document.querySelectorAll('#signals-body tr[data-id]').length > {shown}", timeout=10_000)
                page.locator("#topic-chart .bar-row", has_text="Afval").click()
                page.wait_for_function(
                    "() => { const cells = [...document.querySelectorAll('#signals-body tr[data-id] .col-topic')];"
                    " return cells.length > 0 && cells.every(c => c.textContent.startsWith('Afval')); }",
                    timeout=10_000)
                assert page.locator("#filter-topic").input_value() == "afval"
                assert dialogs == []
                assert errors == []
            finally:
                browser.close()
    finally:
        server.stop()
        store.close()

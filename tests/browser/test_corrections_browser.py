"""Corrections in headless Chromium: one choice under a message stores it; the review queue lists the least
certain first, confirms with one click, and explains itself when empty. No console errors."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from fakes.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, watched_page
from pipeline.apps.advisers.settings import AdvisersSettings
from pipeline.apps.dashboard.app import create_app
from pipeline.apps.dashboard.server import DashboardServer
from pipeline.bench.synthetic_signals import enriched_doc, sample_docs
from pipeline.sinks.sqlite.store import SqliteStore

pytestmark = [pytest.mark.browser, needs_chromium]


def corrections(path: Path) -> list[tuple]:
    """(signal_id, topic, sentiment, account) of every stored correction."""
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute("SELECT signal_id, topic, sentiment, account FROM corrections ORDER BY seq")]
    finally:
        conn.close()


def test_correct_in_one_click_and_work_the_queue(tmp_path: Path, artifacts: Path) -> None:
    """Live page: pick another topic under the newest message, it is stored; queue: least certain first,
    'Klopt' confirms; an empty store's queue says what will appear."""
    sync_api = pytest.importorskip("playwright.sync_api")
    now = time.time()
    store_path = tmp_path / "store.db"
    docs = sample_docs(200, end=now - 600, seed=3)
    newest = enriched_doc("twitter:nieuw", now - 60, "Mijn auto is ten onrechte beboet bij de kerk", topic="afval",
                          sentiment="negative")
    unsure = enriched_doc("call_note:twijfel", now - 300, "Mevrouw belt over iets met de stoep", topic="overig",
                          sentiment="neutral")
    unsure["topic"]["confidence"] = 0.01
    docs += [newest, unsure]
    store = SqliteStore(store_path)
    store.write(None, None, docs)
    store.close()
    empty_path = tmp_path / "empty.db"
    SqliteStore(empty_path).close()
    settings = AdvisersSettings(municipality="Zeist")
    server = DashboardServer(create_app(store_path, settings), "127.0.0.1", 0)
    empty = DashboardServer(create_app(empty_path, settings), "127.0.0.1", 0)
    server.start()
    empty.start()
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page, dialogs, errors = watched_page(browser, viewport={"width": 1440, "height": 1000})
                page.goto(server.url)
                row = page.locator('#signals-body tr[data-id="twitter:nieuw"]')
                row.wait_for()
                topic = row.locator("select.correct-topic")
                page.wait_for_function("() => document.querySelector('#signals-body tr[data-id=\"twitter:nieuw\"] "
                                       "select.correct-topic').options.length > 5")
                assert topic.input_value() == "afval"
                topic.select_option("parkeren")          # the one click
                row.locator(".correction-status.is-saved").wait_for()
                assert corrections(store_path) == [("twitter:nieuw", "parkeren", None, "lokaal")]
                row.scroll_into_view_if_needed()
                page.screenshot(path=str(artifacts / "correction-live.png"), full_page=False, animations="disabled")
                page.reload()
                row.wait_for()
                page.wait_for_function("() => document.querySelector('#signals-body tr[data-id=\"twitter:nieuw\"] "
                                       ".correction.is-corrected select.correct-topic')?.value === 'parkeren'")

                page.locator('nav.pages a[href="/nakijken"]').click()
                page.wait_for_url("**/nakijken")
                first = page.locator("#queue-body tr[data-id]").first
                first.wait_for()
                assert first.get_attribute("data-id") == "call_note:twijfel"
                ids = page.evaluate("() => [...document.querySelectorAll('#queue-body tr[data-id]')].map(r => r.dataset.id)")
                assert "twitter:nieuw" not in ids                  # corrected messages leave the queue
                first.locator("button.confirm-labels").click()
                page.wait_for_function("() => document.querySelector('#queue-body tr.is-done')")
                second = page.locator("#queue-body tr[data-id]").nth(1)
                second_id = second.get_attribute("data-id")
                second.locator("select.correct-sentiment").select_option("positive")
                second.locator(".correction-status.is-saved").wait_for()
                stored = corrections(store_path)
                assert stored[1] == ("call_note:twijfel", "overig", "neutral", "lokaal")
                assert stored[2] == (second_id, None, "positive", "lokaal")
                page.screenshot(path=str(artifacts / "correction-queue.png"), full_page=True, animations="disabled")

                page.goto(empty.url + "nakijken")
                page.locator("#queue-body .empty-row").wait_for()
                assert "Niets na te kijken" in page.locator("#queue-body").inner_text()
                assert "minst zeker" in page.locator("#queue-body").inner_text()
                assert errors == [] and dialogs == []
            finally:
                browser.close()
    finally:
        server.stop()
        empty.stop()

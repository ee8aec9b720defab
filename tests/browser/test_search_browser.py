"""The review page in headless Chromium: sort, expand variants, mark handled, reload, filter, export CSV."""
from __future__ import annotations

import csv
import io
import socket
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

from fakes.search_fixtures import repeated
from pipeline.apps.dashboard.app import create_app
from pipeline.apps.webteam.routes import review_routes
from pipeline.core.settings import Settings
from pipeline.sinks.sqlite.store import SqliteStore

pytestmark = pytest.mark.browser

from fakes.browser import CHROMIUM, CHROMIUM_ARGS, watched_page  # noqa: E402 - after the module mark

WEEK_START = datetime(2024, 10, 8, tzinfo=timezone.utc).timestamp()
PREVIOUS = WEEK_START - 7 * 86_400
XSS = "<img src=x onerror=alert(1)>"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server_url(store_path: Path) -> Iterator[str]:
    """The review routes served by uvicorn in a thread over a filled store."""
    import uvicorn

    store = SqliteStore(store_path)
    store.write(None, None,
                repeated("parkeervergunning", 7, WEEK_START + 60, results=0, topic="parkeren")
                + repeated("parkeer vergunnig", 2, WEEK_START + 90, results=0)
                + repeated("pasport", 4, WEEK_START + 3600, results=0)
                + repeated("paspoort", 1, WEEK_START + 3700, results=0)
                + repeated("afvalkalender", 3, WEEK_START + 5000, results=0)
                + repeated("afvalkalender", 9, PREVIOUS + 5000, results=0)
                + repeated("wmo vervoer", 2, WEEK_START + 6000, results=0)
                + repeated(XSS, 1, WEEK_START + 7000, results=0)
                + repeated("zwembad", 5, WEEK_START + 8000, results=3))
    store.close()
    port = free_port()
    app = create_app(store_path, Settings(municipality="Zeist"), review_routes(store_path, municipality="Zeist"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def row_names(page) -> list[str]:
    """Display names of the group rows on the page, in order."""
    return page.locator("#group-rows tr[data-group] .rv-name").all_text_contents()


def test_review_workflow_in_chromium(server_url: str, artifacts: Path, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page, dialogs, errors = watched_page(browser, viewport={"width": 1360, "height": 900}, accept_downloads=True)
            page.goto(f"{server_url}/review")
            page.wait_for_selector("body[data-loaded=true]")
            rows = page.locator("#group-rows tr[data-group]")

            # Zero-result groups, most zero results first; resident text shown as text.
            names = row_names(page)
            assert names[:3] == ["parkeervergunning", "pasport", "afvalkalender"]
            assert XSS in names and "zwembad" not in names
            assert page.locator("#group-rows img").count() == 0
            trend = page.locator('tr[data-group="afvalkalender"] .rv-badge').first.text_content()
            assert trend == "dalend"

            # Sort by name (ascending), then back by zero results.
            page.click('th[data-sort="name"] button')
            expect(page.locator('th[data-sort="name"]')).to_have_attribute("aria-sort", "ascending")
            expect(page.locator("#group-rows")).to_have_attribute("data-view", "name:asc")
            assert row_names(page) == sorted(row_names(page), key=str.lower)
            page.click('th[data-sort="zero_results"] button')
            expect(page.locator("#group-rows")).to_have_attribute("data-view", "zero_results:desc")
            expect(rows.first).to_have_attribute("data-group", "parkeervergunning")

            # Expand a group to its raw variants.
            page.click('tr[data-group="parkeervergunning"] .rv-toggle')
            page.wait_for_selector(".rv-variants li")
            variants = page.locator(".rv-variants li").all_text_contents()
            assert variants[0].startswith("parkeervergunning — 7×") and variants[1].startswith("parkeer vergunnig — 2×")

            # Filter by topic.
            page.select_option("#f-topic", "burgerzaken")
            expect(rows).to_have_count(1)
            assert row_names(page) == ["pasport"]
            page.select_option("#f-topic", "")
            expect(rows).to_have_count(5)

            # Mark "paspoort" handled with a note.
            page.click('tr[data-group="paspoort"] button[data-action="handle"]')
            editor = 'tr[data-group="paspoort"] + tr.rv-editor-row'   # a full-width row: the table keeps its width
            width = page.evaluate("document.documentElement.scrollWidth")
            page.fill(f"{editor} input", "Synoniem 'pasport' toegevoegd")
            assert page.evaluate("document.documentElement.scrollWidth") <= max(width, 1360)
            page.click(f'{editor} button[data-action="save-handled"]')
            page.wait_for_selector('tr[data-group="paspoort"]', state="detached")

            # Reload: it stays handled.
            page.reload()
            page.wait_for_selector("body[data-loaded=true]")
            assert "pasport" not in row_names(page)
            page.select_option("#f-status", "handled")
            page.wait_for_selector('tr[data-group="paspoort"]')
            status = page.locator('tr[data-group="paspoort"] .rv-status')
            assert status.get_attribute("data-status") == "handled"
            assert "afgehandeld" in status.text_content() and "Synoniem 'pasport' toegevoegd" in status.text_content()

            # Export the current view (handled groups) as CSV and check its rows.
            with page.expect_download() as download_info:
                page.click("#export")
            saved = tmp_path / "export.csv"
            download_info.value.save_as(saved)
            exported = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
            assert [(r["group"], r["name"], r["status"], r["zero_results"], r["note"]) for r in exported] == [
                ("paspoort", "pasport", "handled", "5", "Synoniem 'pasport' toegevoegd")]

            # Everything, for the screenshot.
            page.select_option("#f-status", "all")
            expect(rows).to_have_count(5)
            page.click('tr[data-group="parkeervergunning"] .rv-toggle')
            page.wait_for_selector(".rv-variants li")
            page.screenshot(path=str(artifacts / "review.png"), full_page=True)
            assert dialogs == [] and errors == []
        finally:
            browser.close()

"""The review page's two-level list in headless Chromium: subjects with their groups, folding, typed labels."""
from __future__ import annotations

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
from pipeline.enrich.query.grouping import group_key
from pipeline.sinks.sqlite.store import SqliteStore

pytestmark = pytest.mark.browser

from fakes.browser import CHROMIUM, CHROMIUM_ARGS, watched_page  # noqa: E402 - after the module mark

WEEK_START = datetime(2024, 10, 8, tzinfo=timezone.utc).timestamp()
PASSPORT = group_key("paspoort")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server_url(store_path: Path) -> Iterator[str]:
    """The review routes served by uvicorn in a thread over a store with qualified needs."""
    import uvicorn

    store = SqliteStore(store_path)
    store.write(None, None,
                repeated("paspoort aanvragen", 6, WEEK_START + 60)
                + repeated("paspoort spoed zaterdag", 3, WEEK_START + 600)
                + repeated("verlopen paspoort", 2, WEEK_START + 900)
                + repeated("paspoort", 4, WEEK_START + 1200, results=5)
                + repeated("asbest wegbrengen particulier", 4, WEEK_START + 1500)
                + repeated("asbest afvoeren", 1, WEEK_START + 1800)
                + repeated("afvalkalender", 3, WEEK_START + 2400))
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


def test_two_level_review_list_in_chromium(server_url: str, artifacts: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page, dialogs, errors = watched_page(browser, viewport={"width": 1360, "height": 900})
            page.goto(f"{server_url}/review")
            page.wait_for_selector("body[data-loaded=true]")

            # Subjects first, most zero results first, named by the words residents typed.
            subjects = page.locator("#group-rows tr.rv-subject")
            expect(subjects).to_have_count(3)
            assert subjects.locator(".rv-subject-name").all_text_contents() == ["paspoort", "asbest", "afvalkalender"]
            first = page.locator(f'tr.rv-subject[data-subject="{PASSPORT}"]')
            assert first.locator("td.rv-num").first.text_content() == "11"

            # Directly below a subject: its groups, labelled by their most frequent typed form, never a key.
            body_rows = page.locator("#group-rows tr")
            order = [(r.get_attribute("class"), r.get_attribute("data-subject")) for r in body_rows.all()]
            passport_groups = page.locator(f'tr.rv-group[data-subject="{PASSPORT}"]')
            expect(passport_groups).to_have_count(3)
            assert order[:4] == [("rv-subject", PASSPORT)] + [("rv-group", PASSPORT)] * 3
            assert passport_groups.locator(".rv-name").all_text_contents() == [
                "paspoort aanvragen", "paspoort spoed zaterdag", "verlopen paspoort"]
            names = page.locator("#group-rows .rv-name, #group-rows .rv-subject-name").all_text_contents()
            keys = [r.get_attribute("data-group") for r in page.locator("#group-rows tr.rv-group").all()]
            assert "asbest wegbrengen particulier" in names
            assert not any(key in " | ".join(page.locator("#group-rows").all_inner_texts())
                           for key in keys if key not in names)

            # Fold a subject and unfold it again; a group's variants still open beneath it.
            page.click(f'tr.rv-subject[data-subject="{PASSPORT}"] .rv-subject-toggle')
            expect(passport_groups.first).to_be_hidden()
            page.click(f'tr.rv-subject[data-subject="{PASSPORT}"] .rv-subject-toggle')
            expect(passport_groups.first).to_be_visible()
            asbestos = page.locator("tr.rv-group", has_text="asbest wegbrengen particulier")
            asbestos.locator(".rv-toggle").click()
            page.wait_for_selector(".rv-variants li")
            assert page.locator(".rv-variants li").first.text_content().startswith("asbest wegbrengen particulier — 4×")

            # Zero-result focus stays: the group that found results is not listed.
            assert "paspoort" not in passport_groups.locator(".rv-name").all_text_contents()
            page.screenshot(path=str(artifacts / "review-subjects.png"), full_page=True)
            assert dialogs == [] and errors == []
        finally:
            browser.close()

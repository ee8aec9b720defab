"""What every headless-Chromium test shares: Debian's browser, its flags, and the skip when it is absent."""
from __future__ import annotations

import os
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
# No background networking or component updates: this machine's network is closed.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed")


def watched_page(browser: Any, console_errors: bool = True, **options: Any) -> tuple[Any, list[str], list[str]]:
    """A new page of `browser` with the lists it fills: dialogs opened (each dismissed) and script errors
    (uncaught exceptions and, with `console_errors`, console errors); a test asserts both stay empty."""
    page = browser.new_page(**options)
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    if console_errors:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return page, dialogs, errors

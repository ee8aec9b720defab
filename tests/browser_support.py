"""What every headless-Chromium test shares: Debian's browser, its flags, and the skip when it is absent."""
from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
# No background networking or component updates: this machine's network is closed.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed")

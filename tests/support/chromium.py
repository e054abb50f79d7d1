"""Debian's Chromium for Playwright: where it is, how it starts, and what a test does when it is missing."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHAT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip when Chromium is absent, or fail when CHAT_REQUIRE_BROWSER=1 (CI)."""
    if shutil.which(CHROMIUM) is None:
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CHAT_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)

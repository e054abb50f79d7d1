"""axe-core in Chromium on the live page: phone and desktop, light and dark, with messages, an online
list and an inline error on screen, reports no violation of WCAG 2.0/2.1 A and AA or best practice.

axe-core is a test-only npm package: tests/browser/e2e/axe/package.json and its committed package-lock.json
pin it, and this module runs `npm ci` there when it is not installed yet (node and npm are needed, and the
npm registry the first time)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.e2e.conftest import DESKTOP, PHONE, NewPage
from tests.support.page import join, message_input, online, send, send_button

AXE_DIR = Path(__file__).parent / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
RULE_SETS = ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]


@pytest.fixture(scope="module")
def axe_script() -> Path:
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            message = "npm not found: it installs axe-core for the accessibility test (apt-get install npm)"
            if os.environ.get("CHAT_REQUIRE_BROWSER") == "1":
                pytest.fail(message)
            pytest.skip(message)
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=AXE_DIR, capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0, f"npm ci failed:\n{result.stdout}\n{result.stderr}"
    return AXE_JS


def violations(page: Page, axe_script: Path) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(axe_script))
    found: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.html.slice(0, 200)),
            }));
        }""",
        RULE_SETS,
    )
    return found


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_no_axe_violations(
    new_page: NewPage, axe_script: Path, viewport: dict[str, int], color_scheme: str
) -> None:
    other = new_page()
    join(other, "Other")
    page = new_page(viewport=viewport, color_scheme=color_scheme)
    join(page, "Axe")
    send(other, "a message from someone else")
    send(page, "a message of my own")
    expect(online(page).locator(".chat-online-label")).to_have_count(2)
    message_input(page).fill("x")
    send_button(page).click()
    expect(page.get_by_text("at least 2 characters")).to_be_visible()
    if viewport is PHONE:
        online(page).get_by_role("button").click()  # the drop-down open, so its names are checked too
        expect(online(page).locator(".chat-online-names")).to_be_visible()

    found = violations(page, axe_script)
    assert found == [], json.dumps(found, indent=1)
    assert page.evaluate("document.documentElement.lang") == "en-US"

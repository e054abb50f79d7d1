"""Regenerate the README's screenshots (`make screenshots`): a real server, a short conversation
between three browsers, then the chat as one of them sees it on a phone and a desktop, light and dark."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.chat import join, send  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE  # noqa: E402
from tests.e2e.server import ChatServer  # noqa: E402

OUT = ROOT / "docs"
CONVERSATION = [
    ("Ann", "Morning all! Is the release still on for today?"),
    ("Ann", "I've updated the changelog."),
    ("Bob", "Yes, after lunch. The migrations ran cleanly on staging."),
    ("Chiara", "Great. I'll watch the dashboards while it rolls out."),
    ("Chiara", "Ping me here if anything looks odd."),
    ("Ann", "Will do. Bob, can you post the rollback steps?"),
    (
        "Bob",
        "Rollback: scale down the new version, run `python -m app migrate` on the previous tag, scale up.",
    ),
]


def open_chat(browser: Browser, url: str, viewport: dict[str, int], scheme: str) -> Page:
    context = browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        color_scheme=scheme,  # type: ignore[arg-type]
        timezone_id="Europe/Berlin",
        locale="en-GB",
        device_scale_factor=2 if viewport == PHONE else 1,
    )
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => window.did_handshake === true")
    return page


def main() -> None:
    with tempfile.TemporaryDirectory() as root, sync_playwright() as playwright:
        server = ChatServer(Path(root))
        server.start()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            people = {
                name: open_chat(browser, server.url, DESKTOP, "light") for name in ("Ann", "Bob", "Chiara")
            }
            for name, page in people.items():
                join(page, name)
            for name, text in CONVERSATION:
                send(people[name], text)
            for viewport, size in (("phone", PHONE), ("desktop", DESKTOP)):
                for scheme in ("light", "dark"):
                    page = open_chat(browser, server.url, size, scheme)
                    join(page, "Bob")
                    expect(page.locator(".chat-own")).to_have_count(2)
                    page.get_by_label("Message", exact=True).fill("Sure, posting them now")
                    page.evaluate("() => document.activeElement.blur()")
                    path = OUT / f"chat-{viewport}-{scheme}.png"
                    page.screenshot(path=path)
                    print(f"wrote {path.relative_to(ROOT)}")
                    page.context.close()
        finally:
            browser.close()
            server.stop()


if __name__ == "__main__":
    main()

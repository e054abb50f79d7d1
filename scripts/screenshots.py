"""Regenerate the README's screenshots (`make screenshots`): a real server, a short conversation
between three browsers, then the chat as one of them sees it on a phone and a desktop, light and dark (the
end of the conversation arrived while his tabs were hidden: the "New messages" divider), while another is
typing ("Chiara is typing…")."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.e2e.conftest import DESKTOP, PHONE  # noqa: E402
from tests.browser.e2e.test_attention import SET_VISIBILITY, VISIBILITY  # noqa: E402
from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.page import join, send  # noqa: E402
from tests.support.page import open_chat as open_chat_tab  # noqa: E402
from tests.support.server import ChatServer  # noqa: E402

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

UNREAD_FROM = 3  # Bob's view: Chiara's two messages and Ann's question arrive while his tab is hidden


def open_chat(
    browser: Browser, url: str, viewport: dict[str, int], scheme: str, hidden: bool = False
) -> Page:
    context = browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        color_scheme=scheme,  # type: ignore[arg-type]
        timezone_id="Europe/Berlin",
        locale="en-GB",
        device_scale_factor=2 if viewport == PHONE else 1,
    )
    if hidden:
        context.add_init_script(VISIBILITY)
    return open_chat_tab(context, url)


def paging_screenshot(browser: Browser) -> None:
    """A desktop tab that scrolled up to the beginning of a longer chat while a new message came in."""
    with tempfile.TemporaryDirectory() as root:
        server = ChatServer(Path(root), {"CHAT_HISTORY_LIMIT": "6"})
        server.start()
        try:
            writer = open_chat(browser, server.url, DESKTOP, "light")
            join(writer, "Ann")
            for n in range(1, 19):
                send(writer, f"Standup note {n}: " + "done, next up, no blockers. " * (n % 3 + 1))
            reader = open_chat(browser, server.url, DESKTOP, "light")
            join(reader, "Bob")
            log = reader.get_by_label("Messages", exact=True)
            log.hover()
            for _ in range(20):  # a picture, not a test: scroll up until the beginning shows
                reader.mouse.wheel(0, -5000)
                reader.wait_for_timeout(300)
                if log.locator(".chat-start").count():
                    break
            reader.mouse.wheel(0, -5000)
            reader.wait_for_timeout(300)
            send(writer, "Anything else before the release?")
            expect(reader.get_by_role("button", name="1 new message")).to_be_visible()
            path = OUT / "chat-paging.png"
            reader.screenshot(path=path)
            print(f"wrote {path.relative_to(ROOT)}")
        finally:
            server.stop()


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
            for name, text in CONVERSATION[:UNREAD_FROM]:
                send(people[name], text)
            # Bob's tabs are in the background while the rest is said: they show the "New messages" divider
            viewers: dict[str, Page] = {}
            for viewport, size in (("phone", PHONE), ("desktop", DESKTOP)):
                for scheme in ("light", "dark"):
                    page = open_chat(browser, server.url, size, scheme, hidden=True)
                    join(page, "Bob")
                    page.evaluate(SET_VISIBILITY, "hidden")
                    viewers[f"chat-{viewport}-{scheme}.png"] = page
            for name, text in CONVERSATION[UNREAD_FROM:]:
                send(people[name], text)
            for file, page in viewers.items():
                expect(page.locator(".chat-own")).to_have_count(2)
                expect(page).to_have_title("(3) Chat")
                page.evaluate(SET_VISIBILITY, "visible")
                page.get_by_label("Message", exact=True).fill("Sure, posting them now")
                page.evaluate("() => document.activeElement.blur()")
                chiara = people["Chiara"].get_by_label("Message", exact=True)
                chiara.press_sequentially("Dashboards look", delay=20)
                expect(page.locator(".chat-typing")).to_have_text("Chiara is typing…")
                path = OUT / file
                page.screenshot(path=path)
                print(f"wrote {path.relative_to(ROOT)}")
                chiara.fill("")  # stops Chiara's typing, for the next picture
                page.context.close()
            paging_screenshot(browser)
        finally:
            browser.close()
            server.stop()


if __name__ == "__main__":
    main()

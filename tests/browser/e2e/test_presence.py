"""Who is online, across browsers and tabs (this module's own server, so the counts are exact)."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, expect

from tests.browser.e2e.conftest import NewPage
from tests.support.page import join, online

LEAVE_WITHIN_MS = 10_000


def test_two_names_in_three_tabs(new_page: NewPage, new_context: object) -> None:
    ann_first = new_page()
    join(ann_first, "Ann")
    ann_browser: BrowserContext = ann_first.context
    ann_second = new_page(ann_browser)  # the same browser: the name is remembered and joins at once
    bob = new_page()
    join(bob, "Bob")

    for page in (ann_first, ann_second, bob):
        expect(online(page)).to_contain_text("2 online")
        expect(online(page).locator(".chat-online-label")).to_have_text(["Ann", "Bob"])

    bob.close()
    for page in (ann_first, ann_second):
        expect(online(page).locator(".chat-online-label")).to_have_text(["Ann"], timeout=LEAVE_WITHIN_MS)
        expect(online(page)).to_contain_text("1 online")

    ann_second.close()  # Ann still has a tab open
    watcher = new_page()
    expect(online(watcher).locator(".chat-online-label")).to_have_text(["Ann"])
    ann_first.close()
    expect(online(watcher)).to_contain_text("0 online", timeout=LEAVE_WITHIN_MS)

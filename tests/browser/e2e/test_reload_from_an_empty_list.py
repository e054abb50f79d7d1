"""A tab that showed no message when the server went down (an empty chat, or its own first message
not yet delivered) still catches up on everything after the reload, not only the history page."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.e2e.conftest import NewPage
from tests.support.page import join, messages, send
from tests.support.server import ChatServer

HISTORY = 3  # fewer than the messages sent meanwhile: the reload's history alone would miss some
SERVER_ENV = {"CHAT_HISTORY_LIMIT": str(HISTORY)}
RECONNECT_MS = 20_000  # socket.io retries with a growing back-off (up to 5 s)


def test_a_tab_that_showed_nothing_gets_every_message_after_the_reload(
    new_page: NewPage, server: ChatServer
) -> None:
    ann = new_page()
    join(ann, "Ann")
    expect(messages(ann).locator(".chat-text")).to_have_count(0)  # this module's database is empty

    server.kill()
    expect(ann.get_by_role("status")).to_have_text("Reconnecting…")
    ann.context.set_offline(True)  # Ann stays away until Bob has written
    server.start()
    bob = new_page()
    join(bob, "Bob")
    written = [f"while Ann was away {i}" for i in range(HISTORY + 2)]
    for text in written:
        send(bob, text)
    expect(messages(bob).locator(".chat-text")).to_have_text(written)  # all stored

    ann.context.set_offline(False)  # the tab reloads (the new server does not know it) and resumes
    expect(ann.get_by_role("status")).to_have_count(0, timeout=RECONNECT_MS)
    expect(messages(ann).locator(".chat-text")).to_have_text(written)

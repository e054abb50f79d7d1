"""Server restarts: the page says it is reconnecting, then catches up from the database, keeps drafts,
and reports a send that never reached the server."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.e2e.conftest import NewPage
from tests.support.page import expect_message, join, message_input, messages, online, send, send_button, texts
from tests.support.server import ChatServer

HISTORY = 3  # fewer than the messages sent meanwhile: catching up must not rely on the history
SERVER_ENV = {"CHAT_HISTORY_LIMIT": str(HISTORY)}
RECONNECT_MS = 20_000  # socket.io retries with a growing back-off (up to 5 s)


def test_restart_catches_up_and_keeps_the_draft(new_page: NewPage, server: ChatServer) -> None:
    ann = new_page()
    join(ann, "Ann")
    send(ann, "before the restart")
    expect_message(ann, "before the restart")  # stored: `send` only waits for the composer to take it
    message_input(ann).fill("half-typed draft")

    server.kill()
    expect(ann.get_by_role("status")).to_have_text("Reconnecting…")
    expect(send_button(ann)).to_be_disabled()
    expect(message_input(ann)).to_be_disabled()
    ann.context.set_offline(True)  # Ann stays away until Bob has written

    server.start()
    bob = new_page()
    join(bob, "Bob")
    meanwhile = [f"meanwhile {i}" for i in range(5)]
    for text in meanwhile:
        send(bob, text)

    ann.context.set_offline(False)
    expect(ann.get_by_role("status")).to_have_count(0, timeout=RECONNECT_MS)
    # every message once, in order (this module's database holds nothing else yet)
    expect(messages(ann).locator(".chat-text")).to_have_text(["before the restart", *meanwhile])
    expect(message_input(ann)).to_have_value("half-typed draft")
    expect(online(bob).locator(".chat-online-label")).to_have_text(["Ann", "Bob"])
    expect(message_input(ann)).to_be_enabled()


def test_send_lost_in_a_crash_is_reported_and_kept(new_page: NewPage, server: ChatServer) -> None:
    ann = new_page()
    join(ann, "Ann")
    server.pause()  # the server takes the frame but never answers
    message_input(ann).fill("sent into the void")
    message_input(ann).press("Enter")
    expect(send_button(ann)).to_have_attribute("aria-busy", "true")  # in flight
    server.kill()
    expect(ann.get_by_role("status")).to_have_text("Reconnecting…")
    server.start()

    expect(ann.get_by_role("status")).to_have_count(0, timeout=RECONNECT_MS)
    expect(message_input(ann)).to_have_value("sent into the void", timeout=RECONNECT_MS)
    expect(ann.get_by_role("alert")).to_contain_text("Not sent", timeout=RECONNECT_MS)
    assert "sent into the void" not in texts(ann)

    message_input(ann).press("Enter")
    expect(message_input(ann)).to_have_value("")
    expect_message(ann, "sent into the void")
    expect(ann.get_by_role("alert")).to_have_count(0)


def test_a_send_kept_under_the_old_storage_key_is_not_lost(new_page: NewPage, server: ChatServer) -> None:
    """A tab open across the upgrade that renamed the composer's queue ("chat:outbox" to
    "chat:unanswered") is reloaded by the new server: its unanswered send is read from the old key."""
    ann = new_page()
    join(ann, "Ann")
    kept = [{"id": "5b0c3f4e-8d1a-4c2b-9e7f-0a1b2c3d4e5f", "name": "Ann", "text": "sent before the upgrade"}]
    ann.evaluate('(kept) => sessionStorage.setItem("chat:outbox", JSON.stringify(kept))', kept)
    ann.reload()

    expect(message_input(ann)).to_have_value("sent before the upgrade", timeout=RECONNECT_MS)
    expect(ann.get_by_role("alert")).to_contain_text("Not sent")
    assert ann.evaluate('() => sessionStorage.getItem("chat:outbox")') is None  # read once, moved

    message_input(ann).press("Enter")
    expect(message_input(ann)).to_have_value("")
    expect_message(ann, "sent before the upgrade")
    expect(messages(ann).locator(".chat-text").filter(has_text="sent before the upgrade")).to_have_count(1)


@pytest.mark.timeout(180)  # three restarts, each with socket.io's reconnect back-off
def test_a_tab_always_lists_its_own_name(new_page: NewPage, server: ChatServer) -> None:
    """A remembered name is in the tab's own online list after a new tab, a reload, and a restart
    (the list the tab gets when it joins and the room's lists carry versions: the newer one wins)."""
    ann = new_page()
    join(ann, "Ann")
    bob = new_page()
    join(bob, "Bob")
    both = ["Ann", "Bob"]
    for _ in range(3):
        tab = new_page(ann.context)
        expect(online(tab).locator(".chat-online-label")).to_have_text(both)
        tab.reload()
        expect(online(tab).locator(".chat-online-label")).to_have_text(both)
        tab.close()
    for _ in range(3):
        server.kill()
        expect(ann.get_by_role("status")).to_have_text("Reconnecting…")
        server.start()
        for page in (ann, bob):
            expect(page.get_by_role("status")).to_have_count(0, timeout=RECONNECT_MS)
            expect(online(page).locator(".chat-online-label")).to_have_text(both, timeout=RECONNECT_MS)

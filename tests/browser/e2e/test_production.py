"""CHAT_ENV=prod with CHAT_STORAGE_SECRET set and no data directory yet: names survive a restart."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.e2e.conftest import NewPage
from tests.support.page import join, name_input, online
from tests.support.server import ChatServer

SERVER_ENV = {
    "CHAT_ENV": "prod",
    "CHAT_STORAGE_SECRET": "a-production-secret-of-more-than-32-characters",
    # the test talks plain HTTP; a Secure cookie is the lead's session-middleware test
    "CHAT_COOKIE_SECURE": "0",
}


def test_name_is_remembered_across_a_restart(new_page: NewPage, server: ChatServer) -> None:
    storage = server.root / "data" / "nicegui"
    assert storage.is_dir(), "the data directory is made at start, also when the secret is configured"
    ann = new_page()
    join(ann, "Ann")

    ann.close()
    server.stop()
    server.start()
    again = new_page(ann.context)  # the same browser, after the restart
    expect(name_input(again)).to_have_value("Ann")
    expect(online(again).locator(".chat-online-label")).to_have_text(["Ann"])
    assert any(storage.iterdir()), "the browser's storage is kept on disk"
    assert "FileNotFoundError" not in server.log()
    assert "Traceback" not in server.log()

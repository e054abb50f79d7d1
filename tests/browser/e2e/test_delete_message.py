"""An operator deletes a message with `python -m app delete-message` (another process, the same SQLite
database): it leaves both open tabs without a reload, the grouping follows, and a reload does not bring
it back."""

from __future__ import annotations

import subprocess
import sys

from playwright.sync_api import Page, expect

from tests.browser.e2e.conftest import NewPage
from tests.support.page import expect_message, join, messages, send
from tests.support.server import ChatServer

# the server looks for deletions made by other processes once a second (with SQLite)
GONE_MS = 10_000


def message_id(page: Page, text: str) -> int:
    article = messages(page).locator("article.chat-message", has_text=text)
    expect(article).to_have_count(1)
    return int(article.get_attribute("data-id") or 0)


def delete_message(server: ChatServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "delete-message", *args],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_deleted_message_leaves_every_tab_and_stays_gone(new_page: NewPage, server: ChatServer) -> None:
    ann, bob = new_page(), new_page()
    join(ann, "Ann")
    join(bob, "Bob")
    send(ann, "first, to be deleted")
    send(ann, "second, in the same group")
    send(bob, "a reply from Bob")
    for page in (ann, bob):
        expect_message(page, "a reply from Bob")
    second = messages(bob).locator("article.chat-message", has_text="second, in the same group")
    expect(second.locator(".chat-author")).to_have_count(0)  # grouped under the first

    doomed = message_id(bob, "first, to be deleted")
    result = delete_message(server, str(doomed), "--reason", "test")
    assert (result.returncode, result.stdout) == (0, f"deleted {doomed}\n"), result.stderr

    for page in (ann, bob):
        expect(messages(page).locator(".chat-text")).to_have_text(
            ["second, in the same group", "a reply from Bob"], timeout=GONE_MS
        )
    expect(second.locator(".chat-author")).to_have_text("Ann")  # now the head of its group
    bob.reload()
    expect_message(bob, "a reply from Bob")
    expect(messages(bob).locator(".chat-text")).to_have_text(
        ["second, in the same group", "a reply from Bob"]
    )

    again = delete_message(server, str(doomed))
    assert (again.returncode, again.stdout) == (0, f"already deleted {doomed}\n")
    unknown = delete_message(server, str(doomed + 1000))
    assert unknown.returncode == 1 and f"no message {doomed + 1000}" in unknown.stderr

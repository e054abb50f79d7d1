"""A slow database in Chromium: the message table is locked by another transaction, so a send waits.
The sender sees "Sending…" (and the busy Send), then the message, or after CHAT_SEND_TIMEOUT the
"not confirmed" error with the text kept; sending it again never stores it twice."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from playwright.sync_api import expect

from tests.browser.e2e.conftest import NewPage
from tests.browser.e2e.test_exactly_once import expect_settled, stored_texts
from tests.support.databases import postgres_database
from tests.support.page import expect_message, join, message_input, messages, send, send_button
from tests.support.server import PATIENT_READY_TIMEOUT, ChatServer

SEND_TIMEOUT_SECONDS = 6
ANSWER_MS = (SEND_TIMEOUT_SECONDS + 15) * 1000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    with postgres_database() as url:
        env = {"DATABASE_URL": url, "CHAT_SEND_TIMEOUT": str(SEND_TIMEOUT_SECONDS)}
        chat = ChatServer(tmp_path_factory.mktemp("server"), env, ready_timeout=PATIENT_READY_TIMEOUT)
        chat.start()
        yield chat
        chat.stop()


def locked(server: ChatServer) -> psycopg.Connection[tuple[object, ...]]:
    """A transaction holding the message table: inserts wait until it ends, reads go on."""
    holder = psycopg.connect(server.database_url)
    holder.execute("LOCK TABLE message IN EXCLUSIVE MODE")
    return holder


def test_a_slow_send_shows_progress_then_the_message(new_page: NewPage, server: ChatServer) -> None:
    watcher, page = new_page(), new_page()
    join(page, "Patient")
    with locked(server):
        send(page, "waits for the lock")
        expect(page.get_by_text("Sending…")).to_be_visible()
        expect(send_button(page)).to_have_attribute("aria-busy", "true")
        assert "waits for the lock" not in stored_texts(server)
    # the lock is gone (commit at the end of the block): stored, shown, progress gone
    expect_message(page, "waits for the lock")
    expect_message(watcher, "waits for the lock")
    expect(page.get_by_text("Sending…")).to_have_count(0)
    expect_settled(page)
    assert stored_texts(server).count("waits for the lock") == 1


def test_a_send_slower_than_the_timeout_keeps_the_text_and_is_stored_once(
    new_page: NewPage, server: ChatServer
) -> None:
    watcher, page = new_page(), new_page()
    join(page, "Hasty")
    text = "too slow for its answer"
    with locked(server):
        send(page, text)
        expect(page.get_by_text("Sending…")).to_be_visible()
        expect(page.get_by_text("Not confirmed: the chat is slow")).to_be_visible(timeout=ANSWER_MS)
        expect(message_input(page)).to_have_value(text)  # the text is back in the field
        expect(page.get_by_text("Sending…")).to_have_count(0)
        expect_settled(page)
    # the insert that outlived its answer commits now: everyone sees it, once
    expect_message(watcher, text)
    expect_message(page, text)
    send_button(page).click()  # the kept text again, with the same send id: nothing new is stored
    expect(message_input(page)).to_have_value("")
    expect(page.get_by_text("Not confirmed: the chat is slow")).to_have_count(0)
    expect_settled(page)
    assert stored_texts(server).count(text) == 1
    expect(messages(watcher).locator(".chat-text").filter(has_text=text)).to_have_count(1)
    expect(messages(page).locator(".chat-text").filter(has_text=text)).to_have_count(1)

"""History on load, and the list holding still while someone reads older messages."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import expect

from app.config import sync_database_url
from app.store.migrate import upgrade
from tests.browser.e2e.conftest import PHONE, NewPage
from tests.support.databases import store_on
from tests.support.page import join, messages, send, texts
from tests.support.server import ChatServer

HISTORY = 12
SEEDED = 30
SERVER_ENV = {"CHAT_HISTORY_LIMIT": str(HISTORY)}


def seed(server: ChatServer) -> None:
    """Older conversation, stored before the server starts."""
    upgrade(sync_database_url(server.database_url))

    async def add() -> None:
        async with store_on(server.database_url) as store:
            for i in range(SEEDED):
                await store.add(
                    "Archivist", f"old message {i:02d}: " + "some longer text to fill the screen " * 2
                )

    with ThreadPoolExecutor(1) as worker:  # this thread's event loop belongs to Playwright
        worker.submit(asyncio.run, add()).result()


def test_history_is_the_last_n_oldest_first(new_page: NewPage) -> None:
    page = new_page()
    shown = texts(page)
    assert len(shown) == HISTORY
    assert [text[:14] for text in shown] == [f"old message {i:02d}" for i in range(SEEDED - HISTORY, SEEDED)]


def test_scrolled_up_reader_is_not_moved(new_page: NewPage) -> None:
    reader, writer = new_page(viewport=PHONE), new_page()
    join(writer, "Writer")
    log = messages(reader)
    newest = log.locator(".chat-text").last
    expect(newest).to_be_in_viewport()
    log.hover()
    while log.locator(".chat-start").count() == 0:  # older pages load at the top, up to the beginning
        reader.mouse.wheel(0, -10_000)
        reader.wait_for_function(
            """() => document.querySelector('.chat-start') !== null
                     || document.querySelector('[aria-label=Messages]').scrollTop > 0"""
        )
    reader.mouse.wheel(0, -10_000)  # the last page was put above the reader: up to it
    reader.wait_for_function("() => document.querySelector('[aria-label=Messages]').scrollTop === 0")

    send(writer, "while you were reading")
    jump = reader.get_by_role("button", name="1 new message")
    expect(jump).to_be_visible()
    expect(log.locator(".chat-text").last).to_have_text("while you were reading")
    assert log.evaluate("el => el.scrollTop") == 0, "the reader's place is kept"
    expect(log.locator(".chat-text").last).not_to_be_in_viewport()

    jump.click()
    expect(log.locator(".chat-text").last).to_be_in_viewport()
    expect(jump).to_have_count(0)
    send(writer, "and the list follows again")
    expect(log.locator(".chat-text").last).to_have_text("and the list follows again")
    expect(log.locator(".chat-text").last).to_be_in_viewport()

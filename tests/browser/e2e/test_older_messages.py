"""Scrolling up for older messages in Chromium, on SQLite and on PostgreSQL: pages load at the top with a
"Loading…" row, the reader's place holds, every message is seen once and in order up to the beginning, the
tab keeps at most CHAT_TAB_MESSAGES, and a message arriving meanwhile is one click away."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from app.config import sync_database_url
from app.store.migrate import upgrade
from tests.browser.e2e.conftest import NewPage
from tests.support.databases import database_url, store_on
from tests.support.page import join, messages, send
from tests.support.server import ChatServer

SEEDED = 75
PAGE = 20
BOUND = 60  # fewer than SEEDED: paging to the beginning drops the newest from the tab
SEED_TEXTS = [
    f"seeded {n:02d}: " + "words to make the message take a line or two " * (n % 3) for n in range(SEEDED)
]

WATCH_LOADING = """el => {
  window.sawLoading = false;
  window.loadingWatch = new MutationObserver(() => {
    if (document.querySelector('.chat-loading')) window.sawLoading = true;
  });
  window.loadingWatch.observe(el.parentElement, { childList: true, subtree: true });
}"""
TO_TOP = """el => {
  el.scrollTop = 0;
  const first = el.querySelector('.chat-message');
  return [Number(first.dataset.id), first.querySelector('.chat-text').getBoundingClientRect().top];
}"""
SHOWN = """el => [...el.querySelectorAll('.chat-message')].map(
  m => [Number(m.dataset.id), m.querySelector('.chat-text').textContent])"""
TOP_OF = """(el, id) => el.querySelector(`[data-id="${id}"] .chat-text`).getBoundingClientRect().top"""


def seed(url: str) -> None:
    upgrade(sync_database_url(url))

    async def add() -> None:
        async with store_on(url) as store:
            for n, text in enumerate(SEED_TEXTS):
                await store.add("Ann" if n % 4 else "Bob", text)

    with ThreadPoolExecutor(1) as worker:  # this thread's event loop belongs to Playwright
        worker.submit(asyncio.run, add()).result()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    root = tmp_path_factory.mktemp("server")
    with database_url(request.param, root) as url:
        seed(url)
        chat = ChatServer(
            root, {"DATABASE_URL": url, "CHAT_HISTORY_LIMIT": str(PAGE), "CHAT_TAB_MESSAGES": str(BOUND)}
        )
        chat.start()
        yield chat
        chat.stop()


def shown(page: Page) -> list[tuple[int, str]]:
    rows: list[Any] = messages(page).evaluate(SHOWN)
    return [(int(id_), str(text)) for id_, text in rows]


TO_BOTTOM = """el => {
  el.scrollTop = el.scrollHeight;
  const all = el.querySelectorAll('.chat-message'), last = all[all.length - 1];
  return [Number(last.dataset.id), last.querySelector('.chat-text').getBoundingClientRect().top];
}"""
EDGE_CHANGED = """([el, id, edge]) => {
  const all = el.querySelectorAll('.chat-message');
  return (edge === 'first' ? all[0] : all[all.length - 1]).dataset.id !== String(id);
}"""


@pytest.fixture(scope="module")
def sent(server: ChatServer) -> list[str]:
    """What this module's tests sent to `server`, after the seeded messages."""
    return []


def checked(reader: Page, seen: dict[int, str]) -> None:
    """What the tab shows now: in order, no duplicates, within its bound; added to `seen`."""
    now = shown(reader)
    ids = [id_ for id_, _ in now]
    assert ids == sorted(set(ids)), "in order, no duplicates"
    assert len(now) <= BOUND
    seen.update(now)


def load_a_page(reader: Page, seen: dict[int, str], scroll: str, edge: str) -> None:
    """Scroll to the `edge` ("first" or "last") message with the script `scroll`: once the next page has
    come, that message has not moved, and every message shown is checked and noted in `seen`."""
    log = messages(reader)
    edge_id, before = log.evaluate(scroll)
    reader.wait_for_function(EDGE_CHANGED, arg=[log.element_handle(), edge_id, edge])
    after = log.evaluate(TOP_OF, edge_id)
    assert abs(after - before) <= 2, f"the {edge} message moved from {before} to {after}"
    checked(reader, seen)


def page_to_the_beginning(reader: Page, expected: list[str]) -> dict[int, str]:
    """Scroll to the top until the beginning shows, checking that each page keeps the top message in place;
    every message seen on the way, by id."""
    log = messages(reader)
    seen = dict(shown(reader))
    pages = 0
    while log.locator(".chat-start").count() == 0:
        load_a_page(reader, seen, TO_TOP, "first")
        pages += 1
        assert pages <= len(expected) // PAGE + 1
    expect(log.locator(".chat-start")).to_have_text("Beginning of the chat")
    assert log.locator(".chat-text").first.text_content() == SEED_TEXTS[0]
    return seen


def say(writer: Page, text: str, sent: list[str]) -> None:
    send(writer, text)
    sent.append(text)


def test_scrolling_up_reads_back_to_the_beginning(new_page: NewPage, sent: list[str]) -> None:
    reader = new_page()
    log = messages(reader)
    log.evaluate(WATCH_LOADING)
    assert [text for _, text in shown(reader)] == (SEED_TEXTS + sent)[-PAGE:]
    seen = page_to_the_beginning(reader, SEED_TEXTS + sent)
    assert reader.evaluate("() => window.sawLoading") is True
    assert [seen[id_] for id_ in sorted(seen)] == (SEED_TEXTS + sent)
    assert len(shown(reader)) == BOUND  # the newest went: the tab keeps its bound

    writer = new_page()
    join(writer, "Writer")
    say(writer, "said while the reader was at the beginning", sent)
    jump = reader.get_by_role("button", name="1 new message")
    expect(jump).to_be_visible()
    assert log.locator(".chat-text").first.text_content() == SEED_TEXTS[0], "the reader stays put"
    assert "said while the reader was at the beginning" not in [text for _, text in shown(reader)]
    jump.click()
    newest = log.locator(".chat-text").last
    expect(newest).to_have_text("said while the reader was at the beginning")
    expect(newest).to_be_in_viewport()
    texts = [text for _, text in shown(reader)]
    assert texts[-2] == SEED_TEXTS[-1] and len(texts) <= BOUND
    expect(jump).to_have_count(0)
    say(writer, "and the list follows again", sent)
    expect(log.locator(".chat-text").last).to_have_text("and the list follows again")
    expect(log.locator(".chat-text").last).to_be_in_viewport()


def test_scrolling_back_down_pages_to_the_newest(new_page: NewPage, sent: list[str]) -> None:
    reader, writer = new_page(), new_page()
    join(writer, "Writer")
    log = messages(reader)
    seen = page_to_the_beginning(reader, SEED_TEXTS + sent)
    say(writer, "said while the reader scrolls down again", sent)
    expect(reader.get_by_role("button", name="1 new message")).to_be_visible()
    pages = 0
    while log.locator(".chat-text").last.text_content() != sent[-1]:
        load_a_page(reader, seen, TO_BOTTOM, "last")
        pages += 1
        assert pages <= len(SEED_TEXTS + sent) // PAGE + 1
    assert [seen[id_] for id_ in sorted(seen)] == (SEED_TEXTS + sent)
    expect(reader.get_by_role("button", name="1 new message")).to_have_count(0)
    log.evaluate("el => { el.scrollTop = el.scrollHeight; }")  # the last page came below the reader
    expect(log.locator(".chat-text").last).to_be_in_viewport()
    say(writer, "followed at the bottom", sent)
    expect(log.locator(".chat-text").last).to_have_text("followed at the bottom")
    expect(log.locator(".chat-text").last).to_be_in_viewport()

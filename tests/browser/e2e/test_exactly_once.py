"""Sending, exactly once: errors on click and on Enter alike, Send never stuck, every message stored once
and in order, however fast it is sent, on a busy server, or when the connection or the server dies
between the browser and the answer. On SQLite and on PostgreSQL (one server per database kind).

Lost answers are made with a TCP proxy between browser and server (tests/support/fault_proxy.py) rather than a
hook in the server: nothing test-only ships, and the browser sees a real dropped connection."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.e2e.conftest import NewPage
from tests.support.databases import database_url, rows
from tests.support.fault_proxy import FaultProxy
from tests.support.page import (
    expect_message,
    join,
    message_input,
    messages,
    name_input,
    open_chat,
    send_button,
    texts,
)
from tests.support.server import ChatServer

RECONNECT_MS = 20_000  # socket.io retries with a growing back-off (up to 5 s)
DB_WAIT = 10.0


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    root = tmp_path_factory.mktemp("server")
    with database_url(request.param, root) as url:
        chat = ChatServer(root, {"DATABASE_URL": url})
        chat.start()
        yield chat
        chat.stop()


@pytest.fixture
def proxy(server: ChatServer) -> Iterator[FaultProxy]:
    proxy = FaultProxy(server.port)
    yield proxy
    proxy.close()


def stored_texts(server: ChatServer) -> list[str]:
    """The message texts in the database, in id order."""
    return [row[0] for row in rows(server.database_url, "SELECT text FROM message ORDER BY id")]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = DB_WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)  # polling a condition with a deadline


def expect_settled(page: Page) -> None:
    """Send is usable: enabled, and no send waiting for an answer."""
    expect(send_button(page)).to_be_enabled()
    expect(send_button(page)).to_have_attribute("aria-busy", "false")


def test_invalid_text_shows_the_same_error_by_click_and_by_enter(
    new_page: NewPage, server: ChatServer
) -> None:
    page = new_page()
    join(page, "Ina")
    before = stored_texts(server)
    for submit in ("click", "enter"):
        message_input(page).fill("a")
        expect(send_button(page)).to_be_enabled()  # never disabled for validity
        if submit == "click":
            send_button(page).click()
        else:
            message_input(page).press("Enter")
        expect(page.get_by_text("Message must be at least 2 characters")).to_be_visible()
        expect(message_input(page)).to_have_value("a")
        message_input(page).fill("ab")
        expect(page.get_by_text("Message must be at least 2 characters")).to_have_count(0)
    name_input(page).fill("")
    send_button(page).click()
    expect(page.get_by_text("Name is required")).to_be_visible()
    expect(message_input(page)).to_have_value("ab")
    assert stored_texts(server) == before


@pytest.fixture(params=["idle", "cpu-busy"])
def load(request: pytest.FixtureRequest) -> Iterator[str]:
    """Nothing, or one busy loop per core in helper processes while the test runs."""
    busy: list[subprocess.Popen[bytes]] = []
    if request.param == "cpu-busy":
        busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    yield request.param
    for process in busy:
        process.kill()
        process.wait(10)


def test_100_rapid_sends_are_stored_once_in_order(new_page: NewPage, server: ChatServer, load: str) -> None:
    watcher, page = new_page(), new_page()
    join(page, "Rapid")
    before = stored_texts(server)
    sent = [f"{load} click {i}" for i in range(50)] + [f"{load} enter {i}" for i in range(50)]
    for text in sent[:50]:
        message_input(page).fill(text)
        send_button(page).click()
    for text in sent[50:]:
        message_input(page).fill(text)
        message_input(page).press("Enter")

    wait_until(lambda: len(stored_texts(server)) >= len(before) + 100, "100 messages stored", 60)
    assert stored_texts(server)[len(before) :] == sent
    # each once, in order, in another tab
    expect(messages(watcher).locator(".chat-text").filter(has_text=f"{load} ")).to_have_text(
        sent, timeout=30_000
    )
    expect(message_input(page)).to_have_value("")
    expect_settled(page)


def test_a_paste_right_after_a_send_goes(new_page: NewPage, server: ChatServer) -> None:
    page = new_page()
    join(page, "Paste")
    message_input(page).fill("typed and sent")
    send_button(page).click()
    message_input(page).focus()
    page.keyboard.insert_text("pasted right after")  # what a paste does: one input event, no keys
    send_button(page).click()
    expect_message(page, "pasted right after")
    expect(message_input(page)).to_have_value("")
    assert stored_texts(server)[-2:] == ["typed and sent", "pasted right after"]
    expect_settled(page)


def test_killed_after_storing_before_the_answer(
    new_context: Callable[..., BrowserContext], server: ChatServer, proxy: FaultProxy
) -> None:
    page = open_chat(new_context(), proxy.url)
    join(page, "Kim")
    proxy.hold("down")  # the server's answer will not get through
    message_input(page).fill("stored, answer lost")
    message_input(page).press("Enter")
    wait_until(lambda: "stored, answer lost" in stored_texts(server), "the message stored")
    expect(send_button(page)).to_have_attribute("aria-busy", "true")
    server.kill()
    proxy.cut()
    expect(page.get_by_role("status")).to_have_text("Reconnecting…")
    server.start()

    expect(page.get_by_role("status")).to_have_count(0, timeout=RECONNECT_MS)
    expect(messages(page).locator(".chat-text").filter(has_text="stored, answer lost")).to_have_count(
        1, timeout=RECONNECT_MS
    )
    expect(message_input(page)).to_have_value("")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect_settled(page)
    assert stored_texts(server).count("stored, answer lost") == 1


def test_dropped_before_storing_is_reported_and_one_retry_stores_it_once(
    new_context: Callable[..., BrowserContext], server: ChatServer, proxy: FaultProxy
) -> None:
    page = open_chat(new_context(), proxy.url)
    join(page, "Lou")
    proxy.hold("up")  # the send will not reach the server
    message_input(page).fill("sent into the void")
    message_input(page).press("Enter")
    expect(send_button(page)).to_have_attribute("aria-busy", "true")
    expect(page.get_by_text("Sending…")).to_be_visible()  # the answer is taking more than 300 ms
    server.kill()
    proxy.cut()
    assert "sent into the void" not in stored_texts(server)
    server.start()

    expect(page.get_by_role("status")).to_have_count(0, timeout=RECONNECT_MS)
    expect(page.get_by_role("alert")).to_contain_text("Not sent", timeout=RECONNECT_MS)
    expect(message_input(page)).to_have_value("sent into the void")
    assert "sent into the void" not in texts(page)
    expect_settled(page)

    send_button(page).click()
    expect(message_input(page)).to_have_value("")
    expect_message(page, "sent into the void")
    expect(page.get_by_role("alert")).to_have_count(0)
    assert stored_texts(server).count("sent into the void") == 1


BURST = 60


def test_reconnect_during_a_burst_misses_nothing_and_doubles_nothing(
    new_page: NewPage, new_context: Callable[..., BrowserContext], server: ChatServer, proxy: FaultProxy
) -> None:
    bob = new_page()
    join(bob, "Bob")
    ann = open_chat(new_context(), proxy.url)
    join(ann, "Ann")
    before = stored_texts(server)
    burst = [f"burst {i}" for i in range(BURST)]
    # Bob's browser sends on its own clock, while this thread takes Ann away and back
    bob.evaluate(
        """(texts) => {
            const input = document.querySelector('[aria-label="Message"]');
            const button = document.querySelector('.chat-send');
            let i = 0;
            const timer = setInterval(() => {
                input.value = texts[i];
                input.dispatchEvent(new Event("input", { bubbles: true }));
                button.click();
                if (++i === texts.length) clearInterval(timer);
            }, 40);
        }""",
        burst,
    )
    wait_until(lambda: len(stored_texts(server)) >= len(before) + 10, "the burst under way")
    proxy.refuse()
    proxy.cut()  # Ann is away ...
    expect(ann.get_by_role("status")).to_have_text("Reconnecting…")
    away = len(stored_texts(server))
    wait_until(lambda: len(stored_texts(server)) >= away + 5, "messages posted while Ann is away")
    proxy.refuse(False)  # ... and comes back while the burst goes on

    wait_until(lambda: len(stored_texts(server)) >= len(before) + BURST, "the whole burst stored", 30)
    assert stored_texts(server)[len(before) :] == burst
    expect(ann.get_by_role("status")).to_have_count(0, timeout=RECONNECT_MS)
    expect(messages(ann).locator(".chat-text").filter(has_text="burst ")).to_have_text(burst)
    expect(messages(bob).locator(".chat-text").filter(has_text="burst ")).to_have_text(burst)

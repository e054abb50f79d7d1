"""The chat as operators deploy it: under a sub-path behind a proxy, mounted in another FastAPI app, and the
friendly page a browser gets while the database is unavailable."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.support.page import expect_message, join, open_chat, send
from tests.support.proxy import Proxy
from tests.support.server import ChatServer


def chat_both_ways(new_context: Callable[..., BrowserContext], url: str) -> None:
    ann, bob = open_chat(new_context(), url), open_chat(new_context(), url)
    join(ann, "Ann")
    join(bob, "Bob")
    send(ann, "hello through the sub-path")
    expect_message(bob, "hello through the sub-path")
    send(bob, "and back")
    expect_message(ann, "and back")
    expect(ann.get_by_label("Online users", exact=True)).to_contain_text("2 online")
    # the stylesheet came through the prefix too: the shell is laid out by chat.css
    assert ann.evaluate("getComputedStyle(document.querySelector('.chat-shell')).overflow") == "hidden"


@pytest.fixture
def behind_proxy(tmp_path: Path) -> Iterator[tuple[ChatServer, Proxy]]:
    server = ChatServer(tmp_path, {"CHAT_ROOT_PATH": "/chat"}, ready_path="/chat/healthz")
    server.start()
    proxy = Proxy(server.url)
    proxy.start()
    yield server, proxy
    proxy.stop()
    server.stop()


def test_sub_path_behind_a_proxy_that_keeps_the_prefix(
    behind_proxy: tuple[ChatServer, Proxy], new_context: Callable[..., BrowserContext]
) -> None:
    server, proxy = behind_proxy
    health = httpx.get(f"{proxy.url}/chat/healthz", timeout=5)
    assert health.status_code == 200
    assert health.json()["database"] == "ok"
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 404  # nothing outside the prefix
    chat_both_ways(new_context, f"{proxy.url}/chat/")
    assert any(path.startswith("/chat/_nicegui_ws/") for path in proxy.requests), "the websocket went through"
    assert all(path.startswith("/chat") for path in proxy.requests), proxy.requests


def test_mounted_into_another_fastapi_app(tmp_path: Path, new_context: Callable[..., BrowserContext]) -> None:
    command = [sys.executable, "-m", "uvicorn", "tests.support.embedded_app:app", "--port", "{port}"]
    server = ChatServer(tmp_path, command=command, ready_path="/chat/healthz")
    server.start()
    try:
        assert httpx.get(f"{server.url}/", timeout=5).json() == {"service": "the team's own app"}
        chat_both_ways(new_context, f"{server.url}/chat/")
    finally:
        server.stop()


def test_unavailable_database_gets_a_friendly_page_that_retries(
    tmp_path: Path, new_context: Callable[..., BrowserContext]
) -> None:
    """No schema (CHAT_AUTO_MIGRATE=0 on an empty database): the page cannot be built; once the database is
    migrated, the open page comes back by itself."""
    server = ChatServer(tmp_path, {"CHAT_AUTO_MIGRATE": "0"}, ready_path="/", ready_status=503)
    server.start()
    try:
        response = httpx.get(f"{server.url}/", timeout=10)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert "The chat is unavailable right now" in response.text
        for detail in ("OperationalError", "Traceback", "no such table", "sqlite"):
            assert detail not in response.text
        assert "the chat page is unavailable: OperationalError" in server.log()  # the details go to the log

        page = new_context().new_page()
        page.goto(server.url)
        expect(page.get_by_role("heading", name="The chat is unavailable right now")).to_be_visible()
        subprocess.run([sys.executable, "-m", "app", "migrate"], env=server.env, check=True, timeout=60)
        expect(page.get_by_label("Messages", exact=True)).to_be_visible(timeout=15_000)
    finally:
        server.stop()

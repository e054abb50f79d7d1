"""Security headers on every response of the chat; no session cookie on health checks and static files;
standalone, under CHAT_ROOT_PATH and mounted into another FastAPI app."""

from __future__ import annotations

import re
import sys
import urllib.request
from email.message import Message

import pytest

from app.web.headers import SECURITY_HEADERS
from tests.e2e.server import ChatServer
from tests.wire.conftest import StartServer

ASSET = re.compile(r'"(/(?:chat/)?_nicegui/[\d.]+/[^"]+\.js)"')


def get(url: str) -> tuple[Message, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.headers, response.read().decode(errors="replace")


def assert_secured(headers: Message, url: str) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, f"{url}: {name} is {headers.get(name)!r}"


def check_chat(base: str, prefix: str) -> None:
    page_headers, html = get(f"{base}{prefix}/")
    assert_secured(page_headers, "the page")
    assert page_headers.get("Set-Cookie"), "the page sets the session cookie (it remembers the name)"
    asset = ASSET.search(html)
    assert asset, "no NiceGUI asset in the page"
    assert asset.group(1).startswith(f"{prefix}/_nicegui/")
    for path in ("/healthz", "/chat-static/chat.css", asset.group(1).removeprefix(prefix)):
        headers, _body = get(f"{base}{prefix}{path}")
        assert_secured(headers, path)
        assert headers.get("Set-Cookie") is None, f"{path} sets a cookie: {headers.get('Set-Cookie')}"


@pytest.mark.parametrize("root_path", ["", "/chat"])
def test_headers_and_cookies_standalone(start_server: StartServer, root_path: str) -> None:
    server = start_server(CHAT_ROOT_PATH=root_path)
    check_chat(server.url, root_path)


def test_headers_and_cookies_when_mounted(tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    command = [sys.executable, "-m", "uvicorn", "tests.e2e.embedded_app:app", "--port", "{port}"]
    server = ChatServer(root, command=command, ready_path="/chat/healthz")
    server.start()
    try:
        check_chat(server.url, "/chat")
        host_headers, _ = get(f"{server.url}/")
        # the host app's own routes are the host's business: the chat adds nothing there
        assert host_headers.get("Content-Security-Policy") is None
    finally:
        server.stop()

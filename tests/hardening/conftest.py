"""Hostile tabs against a real `python -m app` process: servers with small limits, and log checks."""

from __future__ import annotations

import asyncio
import re
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.databases import postgres_database
from tests.e2e.server import ChatServer

StartServer = Callable[..., ChatServer]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.timeout(180))


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Starts `python -m app` with the given environment (SQLite unless DATABASE_URL is given)."""
    servers: list[ChatServer] = []

    def start(**env: str) -> ChatServer:
        root = tmp_path / f"server{len(servers)}"
        root.mkdir()
        server = ChatServer(root, env)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


def healthz(server: ChatServer) -> int:
    try:
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


async def page(server: ChatServer, headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(server.url + "/", headers=headers or {}) as response:
        return response.status, await response.text()


def full_log(server: ChatServer) -> str:
    return server.log_path.read_text(errors="replace")


def assert_no_traceback(server: ChatServer) -> None:
    text = full_log(server)
    assert "Traceback" not in text, text[-6000:]
    assert not re.search(r"Task exception was never retrieved|Exception in|Error in", text), text[-6000:]


async def wait_for_log(server: ChatServer, pattern: str, timeout: float = 30.0) -> None:
    """Until the server's log matches `pattern` (polling the file: the condition is in another process)."""

    async def until() -> None:
        while not re.search(pattern, full_log(server)):
            await asyncio.sleep(0.1)

    try:
        await asyncio.wait_for(until(), timeout)
    except TimeoutError:
        raise AssertionError(f"no {pattern!r} in the server log:\n{full_log(server)[-4000:]}") from None

"""Hostile tabs against a real `python -m app` process (the `start_server` fixture), its log checked."""

from __future__ import annotations

import re

import aiohttp

from tests.support.server import ChatServer
from tests.support.wait import until


async def page(server: ChatServer, headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(server.url + "/", headers=headers or {}) as response:
        return response.status, await response.text()


def assert_no_traceback(server: ChatServer) -> None:
    text = server.output()
    assert "Traceback" not in text, text[-6000:]
    assert not re.search(r"Task exception was never retrieved|Exception in|Error in", text), text[-6000:]


async def wait_for_log(server: ChatServer, pattern: str, timeout: float = 30.0) -> None:
    """Until the server's log matches `pattern` (polling the file: the condition is in another process)."""
    try:
        await until(lambda: re.search(pattern, server.output()) is not None, pattern, timeout, poll=0.1)
    except AssertionError:
        raise AssertionError(f"no {pattern!r} in the server log:\n{server.log()}") from None

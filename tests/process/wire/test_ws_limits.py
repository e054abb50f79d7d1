"""A websocket message over CHAT_WS_MAX_MESSAGE_BYTES closes that tab's connection; the server and the other
tabs carry on. Standalone (uvicorn's ws_max_size) and mounted into another app (engine.io's own limit)."""

from __future__ import annotations

import sys
from pathlib import Path

import aiohttp
import pytest

from tests.support.server import ChatServer, StartServer
from tests.support.simtab import SimTab

OVERSIZED = '42["event",{"args":["' + "x" * 100_000 + '"]}]'  # 100 kB: over the 64 KiB default


async def oversized_frame_closes_only_that_tab(base: str, health: str) -> None:
    hostile, other = await SimTab(base).open(), await SimTab(base).open()
    try:
        await other.set_name("Other")
        await hostile.send_frame(OVERSIZED)
        await hostile.wait_closed()
        async with aiohttp.ClientSession() as session, session.get(health) as response:
            assert response.status == 200
        sent = await other.send("Other", "still here")
        await other.wait_for(lambda: sent in other.answers, "the other tab's answer")
        message_id = other.answers[sent]["message_id"]
        await other.wait_for(lambda: message_id in other.received, "the other tab's message")
    finally:
        await hostile.close()
        await other.close()


async def test_an_oversized_frame_standalone(start_server: StartServer) -> None:
    server = start_server()
    await oversized_frame_closes_only_that_tab(server.url, f"{server.url}/healthz")


@pytest.mark.parametrize("path", ["/chat"])
async def test_an_oversized_frame_when_mounted(tmp_path: Path, path: str) -> None:
    command = [sys.executable, "-m", "uvicorn", "tests.support.embedded_app:app", "--port", "{port}"]
    server = ChatServer(tmp_path, command=command, ready_path=f"{path}/healthz")
    server.start()
    try:
        await oversized_frame_closes_only_that_tab(server.url + path, f"{server.url}{path}/healthz")
    finally:
        server.stop()

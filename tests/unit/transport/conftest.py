"""A real socketio.AsyncServer (aiohttp) on a loopback port of this process, and a real client: the
transport's patches of python-socketio/engineio internals checked end to end, without a server process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import socketio
from aiohttp import web

from app.chat.bus import LocalBus
from app.transport.fanout import MESSAGES_EVENT, RoomFanout
from tests.support.wait import until


@asynccontextmanager
async def serving(sio: socketio.AsyncServer) -> AsyncIterator[str]:
    """`sio` served on a free port of 127.0.0.1 while the block runs; its URL."""
    app = web.Application()
    sio.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


class Room:
    """A real server with a RoomFanout whose tabs join the room on connect, and one connected client."""

    def __init__(self, sio: socketio.AsyncServer, fanout: RoomFanout, bus: LocalBus) -> None:
        self.sio, self.fanout, self.bus = sio, fanout, bus
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: asyncio.Queue[Any] = asyncio.Queue()
        self.client.on(MESSAGES_EVENT, self.received.put)


@pytest.fixture(params=["websocket", "polling"])
async def room(request: pytest.FixtureRequest) -> AsyncIterator[Room]:
    # a short ping interval: a long-poll returns within a second, so disconnecting is quick
    sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=1, ping_timeout=2)
    bus = LocalBus()
    fanout = RoomFanout(bus, sio)

    @sio.event
    async def connect(sid: str, environ: dict[str, Any]) -> None:
        await fanout.join(sid)

    room = Room(sio, fanout, bus)
    async with serving(sio) as url:
        try:
            await asyncio.wait_for(room.client.connect(url, transports=[request.param]), 10)
            await until(lambda: fanout.tab_count() == 1, "the client in the room")
            yield room
        finally:
            await fanout.stop()
            # the server ends the connections: a long-polling client that says goodbye itself waits out the
            # server's hold of its pending poll (ping interval + timeout: 3 s a test)
            for socket in list(sio.eio.sockets.values()):
                await socket.close(wait=False)
            await until(lambda: room.client.eio.state != "connected", "the client to see the close")
            await room.client.disconnect()

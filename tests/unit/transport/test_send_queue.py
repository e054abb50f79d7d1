"""The per-tab byte bound: the queue's accounting, the cut of a stuck connection, and a real socket closed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio
from engineio import async_socket
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet

from app.patches.socketio import internals_problems
from app.transport.send_queue import (
    Connection,
    ConnectionCut,
    ConnectionCutter,
    SendQueue,
    SendQueueBound,
    packet_bytes,
)
from tests.unit.transport.conftest import serving


def frame(text: str) -> eio_packet.Packet:
    return eio_packet.Packet(eio_packet.MESSAGE, text)


class FakeGuard(SendQueueBound):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(eio=None, max_bytes=max_bytes)
        self.overflows: list[SendQueue] = []

    def overflowed(self, queue: SendQueue) -> None:
        self.overflows.append(queue)


def test_packet_bytes_counts_utf8() -> None:
    assert packet_bytes(frame("abc")) == 3
    assert packet_bytes(frame("語")) == 3
    assert packet_bytes(frame("😀")) == 4
    assert packet_bytes(eio_packet.Packet(eio_packet.MESSAGE, b"\x00\x01")) == 2
    assert packet_bytes(eio_packet.Packet(eio_packet.PING)) == 1
    assert packet_bytes(None) == 1


async def test_the_queue_counts_what_it_holds_and_reports_passing_the_bound_once() -> None:
    guard = FakeGuard(max_bytes=10)
    queue = SendQueue(guard, None)
    queue.put_nowait(frame("12345"))
    queue.put_nowait(frame("語語"))
    assert queue.queued_bytes == 11
    assert guard.overflows == []  # reported after the put, from the event loop
    await asyncio.sleep(0)
    assert guard.overflows == [queue]
    assert (await queue.get()).data == "12345"
    assert queue.queued_bytes == 6
    queue.put_nowait(frame("x" * 20))
    await asyncio.sleep(0)
    assert guard.overflows == [queue]  # once
    assert queue.drop_all() == 2
    assert queue.queued_bytes == 0 and queue.empty()


async def test_the_writer_waits_on_a_future_and_a_timed_out_wait_loses_nothing() -> None:
    queue = SendQueue(FakeGuard(max_bytes=100), None)
    tasks = len(asyncio.all_tasks())
    waiting = queue.get()
    assert isinstance(waiting, asyncio.Future) and len(asyncio.all_tasks()) == tasks  # no task per wait
    queue.put_nowait(frame("a"))
    assert (await asyncio.wait_for(waiting, 1)).data == "a"  # handed straight to the waiting writer
    assert queue.empty() and queue.queued_bytes == 0
    queue.task_done()

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(queue.get(), 0.01)  # the writer's wait times out (engine.io: no packet)
    queue.put_nowait(frame("b"))
    queue.put_nowait(frame("c"))
    assert queue.queued_bytes == 2  # "b" stayed in the queue: nobody was waiting any more
    assert [(await queue.get()).data, queue.get_nowait().data] == ["b", "c"]
    queue.task_done()
    queue.task_done()
    await asyncio.wait_for(queue.join(), 1)  # every packet taken is accounted for


async def test_a_cut_ends_a_stuck_send_and_the_receive() -> None:
    connection = Connection()
    never = asyncio.Event()

    async def stuck_send(message: Any) -> None:
        await never.wait()  # the peer's TCP window is shut

    async def quiet_receive() -> dict[str, Any]:
        await never.wait()
        return {}

    sending = asyncio.create_task(connection.send(stuck_send, {"type": "websocket.send", "text": "4x"}))
    receiving = asyncio.create_task(connection.receive(quiet_receive))
    await asyncio.sleep(0)
    connection.cut()
    with pytest.raises(ConnectionCut):
        await sending
    assert (await receiving)["type"] == "websocket.disconnect"
    with pytest.raises(ConnectionCut):
        await connection.send(stuck_send, {"type": "websocket.close"})
    assert (await connection.receive(quiet_receive))["type"] == "websocket.disconnect"


async def test_a_task_cancelled_by_someone_else_stays_cancelled() -> None:
    connection = Connection()

    async def stuck_send(message: Any) -> None:
        await asyncio.Event().wait()

    sending = asyncio.create_task(connection.send(stuck_send, {}))
    await asyncio.sleep(0)
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending


@pytest.fixture
async def server() -> AsyncIterator[tuple[socketio.AsyncServer, SendQueueBound, str]]:
    sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=1, ping_timeout=2)
    guard = SendQueueBound(sio.eio, max_bytes=4096)
    guard.install()
    async with serving(sio) as url:
        yield sio, guard, url


async def test_an_overflowing_socket_is_closed(
    server: tuple[socketio.AsyncServer, SendQueueBound, str],
) -> None:
    sio, guard, url = server
    reasons: asyncio.Queue[str] = asyncio.Queue()

    @sio.event
    async def disconnect(sid: str, reason: str) -> None:  # the server side: what NiceGUI sees
        await reasons.put(reason)

    client = socketio.AsyncClient(reconnection=False)
    await asyncio.wait_for(client.connect(url, transports=["websocket"]), 10)
    try:
        (socket,) = list(sio.eio.sockets.values())
        assert isinstance(socket.queue, SendQueue), "create_queue was not used for the socket's queue"
        for _ in range(10):  # no await in between: the writer has no chance to take any out
            socket.queue.put_nowait(frame('42["x","' + "y" * 1000 + '"]'))
        assert await asyncio.wait_for(reasons.get(), 10) == sio.eio.reason.SERVER_DISCONNECT
        assert socket.closed
        assert guard.closed_count == 1
        assert guard.queued_bytes() < 4096
    finally:
        await client.disconnect()


async def test_a_lost_create_queue_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    sio = socketio.AsyncServer(async_mode="aiohttp")
    monkeypatch.setattr(sio.eio, "create_queue", None)
    assert "engineio AsyncServer.create_queue is gone" in internals_problems(sio)


async def test_a_socket_that_ignores_create_queue_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from engineio import async_socket, base_socket

    def own_queue(self: Any, server: Any, sid: str) -> None:
        self.server, self.sid, self.queue, self.closed = server, sid, asyncio.Queue(), False

    monkeypatch.setattr(base_socket.BaseSocket, "__init__", own_queue)
    assert async_socket.AsyncSocket.__init__ is own_queue
    problems = internals_problems(socketio.AsyncServer(async_mode="aiohttp"))
    assert "engineio AsyncSocket no longer takes its queue from server.create_queue()" in problems


async def test_the_middleware_links_each_websocket_to_its_socket_queue() -> None:
    guard = SendQueueBound(eio=None)
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        queue = guard.create_queue()  # as engine.io does while handling the connection
        seen["queue"] = queue
        seen["registered"] = dict(guard.upgrades)
        queue.connection.cut()
        seen["received"] = await receive()
        with pytest.raises(ConnectionCut):
            await send({"type": "websocket.send", "text": "4x"})

    async def receive() -> dict[str, Any]:
        await asyncio.Event().wait()
        return {}

    async def send(message: Any) -> None:
        raise AssertionError("nothing reaches a cut connection")

    middleware = ConnectionCutter(app, guard)
    await middleware(
        {"type": "websocket", "query_string": b"EIO=4&transport=websocket&sid=abc"}, receive, send
    )
    assert isinstance(seen["queue"].connection, Connection)
    assert list(seen["registered"]) == ["abc"]  # an upgrade from long-polling, found by its sid
    assert seen["received"]["type"] == "websocket.disconnect"
    assert guard.upgrades == {}  # forgotten when the connection ends
    assert guard.create_queue().connection is None  # outside a websocket connection: none


async def test_http_passes_the_middleware_untouched() -> None:
    calls: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append((receive, send))

    async def receive() -> dict[str, Any]:
        return {}

    async def send(message: Any) -> None:
        return None

    await ConnectionCutter(app, SendQueueBound(eio=None))({"type": "http"}, receive, send)
    assert calls == [(receive, send)]


class FakeSocket:
    def __init__(self, queue: asyncio.Queue[Any], upgraded: bool = True) -> None:
        self.queue = queue
        self.upgraded = upgraded
        self.server = type("Server", (), {"ping_interval": 0.05, "ping_timeout": 0.05})()


async def test_a_websocket_writer_polls_without_a_timer_and_stops_on_none() -> None:
    SendQueueBound(type("Eio", (), {})(), max_bytes=100).install()  # installs the poll (idempotent)
    socket = FakeSocket(SendQueue(FakeGuard(max_bytes=100), None))
    loop = asyncio.get_running_loop()
    timers = len(loop._scheduled)  # type: ignore[attr-defined]
    polling = asyncio.ensure_future(async_socket.AsyncSocket.poll(socket))
    await asyncio.sleep(0.01)
    assert not polling.done() and len(loop._scheduled) == timers  # type: ignore[attr-defined]  # no timer
    socket.queue.put_nowait(frame("a"))
    assert [p.data for p in await asyncio.wait_for(polling, 1)] == ["a"]
    socket.queue.put_nowait(frame("b"))
    socket.queue.put_nowait(frame("c"))
    socket.queue.put_nowait(None)  # the reader is done: the writer's stop signal
    assert [p.data for p in await async_socket.AsyncSocket.poll(socket)] == ["b", "c"]
    assert await async_socket.AsyncSocket.poll(socket) == []  # the signal stayed for the next poll
    await asyncio.wait_for(socket.queue.join(), 1)

    cancelled = asyncio.ensure_future(async_socket.AsyncSocket.poll(socket))
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(eio_exceptions.QueueEmpty):  # as engine.io's poll: the writer stops
        await cancelled


async def test_long_polling_keeps_engineio_poll_with_its_timeout() -> None:
    SendQueueBound(type("Eio", (), {})(), max_bytes=100).install()
    socket = FakeSocket(SendQueue(FakeGuard(max_bytes=100), None), upgraded=False)
    with pytest.raises(eio_exceptions.QueueEmpty):  # engine.io's own: times out after ping interval + timeout
        await asyncio.wait_for(async_socket.AsyncSocket.poll(socket), 5)

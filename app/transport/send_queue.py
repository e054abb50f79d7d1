"""Bounds what waits to be written to each tab, in bytes: a tab that stops reading is closed, not buffered.

Every frame for a tab (the fan-out's room frames and NiceGUI's own updates) goes into its engine.io socket's
queue; the socket's writer task takes them out and writes them to the websocket, and the server's websocket
stops taking writes while the peer's TCP window is shut. A tab that stops reading but keeps answering pings
(or sends pongs of its own) would keep its socket alive while its queue grows with all room traffic.

So each socket's queue counts the bytes in it (`SendQueue`, made by the engine.io server's `create_queue`,
which we replace: app/patches/engineio.py), and when they pass the bound the socket is closed: its queue is
emptied, the engine.io socket is closed (NiceGUI sees the tab disconnect), and its websocket connection is
cut at the ASGI level (`ConnectionCutter`: the stuck write is cancelled and the app's receive reports a
disconnect), so the handler returns and the server closes the connection. At most about twice the bound is
held for one socket (the writer takes a whole batch out of the queue before it blocks). The tab reconnects
and catches up from the database, as after any dropped connection.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from engineio import exceptions as eio_exceptions
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.patches.engineio import abort, engineio_poll, replace_create_queue, replace_poll, sockets
from app.patches.stdlib_asyncio import HookedQueue

log = logging.getLogger(__name__)

DEFAULT_QUEUED_BYTES = 1024 * 1024
DEFAULT_MESSAGE_BYTES = 64 * 1024


class ConnectionCut(OSError):
    """Raised to the app by a send on a websocket connection that was cut."""


class Connection:
    """One websocket connection seen by `ConnectionCutter`; `cut()` ends it from the app's side."""

    def __init__(self) -> None:
        self.is_cut = False
        self._waiting: set[asyncio.Task[Any]] = set()  # tasks now inside the server's send or receive

    def cut(self) -> None:
        self.is_cut = True
        for task in list(self._waiting):
            task.cancel()

    async def send(self, send: Send, message: Message) -> None:
        if self.is_cut:
            raise ConnectionCut("the connection was cut: its tab fell too far behind")
        task = asyncio.current_task()
        assert task is not None
        self._waiting.add(task)
        try:
            await send(message)
        except asyncio.CancelledError:
            if self.is_cut:  # our cut, not the task's own cancellation
                raise ConnectionCut("the connection was cut: its tab fell too far behind") from None
            raise
        finally:
            self._waiting.discard(task)

    async def receive(self, receive: Receive) -> Message:
        if self.is_cut:
            return {"type": "websocket.disconnect", "code": 1008}
        task = asyncio.current_task()
        assert task is not None
        self._waiting.add(task)
        try:
            return await receive()
        except asyncio.CancelledError:
            if self.is_cut:
                return {"type": "websocket.disconnect", "code": 1008}
            raise
        finally:
            self._waiting.discard(task)


_connection: contextvars.ContextVar[Connection | None] = contextvars.ContextVar("chat_ws", default=None)


class ConnectionCutter:
    """ASGI middleware: gives each websocket connection a `Connection` that can cut it.

    The engine.io socket of a websocket-first connection is created inside the connection's own task, so
    its queue finds the `Connection` in a context variable; an upgrade from long-polling names its socket
    in the query string (`sid=`), and is registered under it."""

    def __init__(self, app: ASGIApp, bound: SendQueueBound) -> None:
        self.app = app
        self.bound = bound

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        connection = Connection()
        token = _connection.set(connection)
        sid = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("sid", [None])[0]
        if sid:
            self.bound.upgrades[sid] = connection

        async def guarded_receive() -> Message:
            return await connection.receive(receive)

        async def guarded_send(message: Message) -> None:
            await connection.send(send, message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        finally:
            _connection.reset(token)
            if sid and self.bound.upgrades.get(sid) is connection:
                del self.bound.upgrades[sid]


def packet_bytes(packet: Any) -> int:
    """The size of an engine.io packet's payload on the wire (UTF-8 for text)."""
    data = getattr(packet, "data", None)
    if isinstance(data, str):
        return len(data) if data.isascii() else len(data.encode())
    if isinstance(data, bytes | bytearray):
        return len(data)
    return 1  # a ping, a noop, a close (or None, the writer's stop signal)


class SendQueue(HookedQueue[Any]):
    """An engine.io socket's packet queue that counts the bytes it holds; reports passing the bound once.

    `get()` returns a future, not a coroutine: the socket's writer (its only reader) awaits it directly
    (`poll_without_timer`, websockets) or through `asyncio.wait_for(queue.get(), timeout)` (engine.io's poll,
    long-polling), which on Python 3.11 would wrap a coroutine in a new task each time: a task per frame per
    tab, plus one always waiting per tab (garbage and CPU at 1000 tabs)."""

    def __init__(self, bound: SendQueueBound, connection: Connection | None) -> None:
        super().__init__()
        self.bound = bound
        self.connection = connection
        self.queued_bytes = 0
        self.overflowed = False
        self._sizes: deque[int] = deque()
        self._reader: asyncio.Future[Any] | None = None  # the writer waiting for the next packet

    def get(self) -> asyncio.Future[Any]:  # type: ignore[override]
        """The next packet, as a future; a timed-out (cancelled) one takes nothing out of the queue."""
        reader = asyncio.get_running_loop().create_future()
        if self.empty():
            self._reader = reader
        else:
            reader.set_result(self.get_nowait())
        return reader

    def on_put(self, item: Any) -> None:
        size = packet_bytes(item)
        self._sizes.append(size)
        self.queued_bytes += size
        if self.queued_bytes > self.bound.max_bytes and not self.overflowed:
            self.overflowed = True  # handled after this put has been counted by the queue
            asyncio.get_running_loop().call_soon(self.bound.overflowed, self)
        reader, self._reader = self._reader, None
        if reader is not None and not reader.done():
            reader.set_result(self.take_first())  # straight to the waiting writer

    def on_get(self, item: Any) -> None:
        self.queued_bytes -= self._sizes.popleft()

    def drop_all(self) -> int:
        """Empty the queue (its packets are freed); returns how many were dropped."""
        dropped = 0
        while not self.empty():
            self.get_nowait()
            self.task_done()
            dropped += 1
        return dropped


class SendQueueBound:
    """Installs `SendQueue` on an engine.io server and closes the sockets whose queue overflows."""

    def __init__(self, eio: Any, max_bytes: int = DEFAULT_QUEUED_BYTES) -> None:
        self.eio = eio
        self.max_bytes = max_bytes
        self.closed_count = 0  # sockets closed for falling behind, since start
        self.upgrades: dict[str, Connection] = {}  # engine.io sid -> websocket upgraded from long-polling
        self._tasks: set[asyncio.Task[None]] = set()

    def install(self) -> None:
        replace_create_queue(self.eio, self.create_queue)  # each new socket's queue
        replace_poll(poll_without_timer)

    def create_queue(self, *args: Any, **kwargs: Any) -> SendQueue:
        return SendQueue(self, _connection.get())

    def queued_bytes(self) -> int:
        """Bytes waiting in every socket's queue now (for tests and diagnostics)."""
        return sum(getattr(s.queue, "queued_bytes", 0) for s in sockets(self.eio))

    def overflowed(self, queue: SendQueue) -> None:
        socket = next((s for s in sockets(self.eio) if s.queue is queue), None)
        dropped = queue.drop_all()
        log.warning(
            "closing a tab's connection: more than %d bytes waiting to be sent to it (%d frames dropped; "
            "it reconnects and catches up from the database)",
            self.max_bytes,
            dropped,
        )
        self.closed_count += 1
        connection = queue.connection or (self.upgrades.get(socket.sid) if socket is not None else None)
        if connection is not None:
            connection.cut()
        queue.put_nowait(None)  # a waiting writer or long-poll returns; bytes counted again are tiny
        if socket is not None:
            task = asyncio.get_running_loop().create_task(self._close(socket))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _close(self, socket: Any) -> None:
        try:
            await abort(self.eio, socket)
        except Exception:
            log.exception("closing a tab that fell behind failed")


async def poll_without_timer(socket: Any) -> list[Any]:
    """`AsyncSocket.poll` for a websocket's writer: the packets waiting, [] when the socket is done.

    engine.io's own poll waits with `wait_for(queue.get(), ping_interval + ping_timeout)`: a waiter future, a
    timer, its context and a callback per wait per tab, alive until the tab's next frame, so at 1000 tabs each
    frame left some ten thousand objects for the collector's older generations. A websocket's writer needs no
    timer: the socket's reader gives up after the same time without a packet from the tab and then puts the
    stop signal (None) in the queue. Long-polling sockets, and queues not ours, keep engine.io's poll."""
    queue = socket.queue
    if not (socket.upgraded and isinstance(queue, SendQueue)):
        return await engineio_poll(socket)
    try:
        first = await queue.get()
    except asyncio.CancelledError:
        raise eio_exceptions.QueueEmpty() from None  # as engine.io's poll does: the writer stops
    queue.task_done()
    if first is None:
        return []
    packets = [first]
    while not queue.empty():
        packet = queue.get_nowait()
        queue.task_done()
        if packet is None:
            queue.put_nowait(None)  # the stop signal stays for the next poll
            break
        packets.append(packet)
    return packets

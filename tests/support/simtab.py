"""Simulated chat tabs (wire, hardening, cluster and fault tests; bench/): speak NiceGUI's socket.io protocol
as the browser does, and record what arrives.

A tab records the message ids of every room frame in arrival order (so a test sees duplicates and
reorders, which the real browser would hide) and the newest online list it was sent.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import socket
import struct
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp

ELEMENTS = re.compile(r"parseElements\(String\.raw`(.*?)`\)", re.S)
CLIENT_ID = re.compile(r"'client_id': '([^']+)'")
RUN_METHOD = re.compile(r'return runMethod\(\d+, "(\w+)", (.*)\)$', re.S)  # Element.run_method's code
WAIT_SECONDS = 30.0


def read_page(html: str) -> tuple[str, dict[str, Any]]:
    """The client id and the element tree (element id → element) NiceGUI put into a page."""
    client_id, elements = CLIENT_ID.search(html), ELEMENTS.search(html)
    assert client_id and elements, f"not a NiceGUI page: {html[:300]}"
    return client_id.group(1), json.loads(elements.group(1))


def socket_url(base: str, client_id: str) -> str:
    """The socket.io websocket URL (engine.io v4) a browser opens for the page of `client_id`."""
    query = urlencode(
        {
            "client_id": client_id,
            "next_message_id": 0,
            "implicit_handshake": "true",
            "tab_id": str(uuid.uuid4()),
            "document_id": str(uuid.uuid4()),
            "EIO": 4,
            "transport": "websocket",
        }
    )
    return base.replace("http://", "ws://") + f"/_nicegui_ws/socket.io/?{query}"


async def handshake(ws: aiohttp.ClientWebSocketResponse) -> None:
    """engine.io's open, then socket.io's connect to the default namespace, as the browser does."""
    opening = await ws.receive_str()
    assert opening.startswith("0"), opening
    await ws.send_str("40")
    while not (await ws.receive_str()).startswith("40"):
        pass


async def event_frames(ws: aiohttp.ClientWebSocketResponse) -> AsyncIterator[str]:
    """The socket.io event frames (`42[...]`) that arrive, until the socket closes; pings are answered."""
    async for frame in ws:
        if frame.data == "2":
            await ws.send_str("3")
        elif isinstance(frame.data, str) and frame.data.startswith("42"):
            yield frame.data


def event_frame(element_id: str, client_id: str, listener_id: str, args: list[str]) -> str:
    """The socket.io text frame of a UI event (a listener of an element), as the browser sends it."""
    payload = {"id": int(element_id), "client_id": client_id, "listener_id": listener_id, "args": args}
    return "42" + json.dumps(["event", payload])


@dataclass
class SimTab:
    base: str
    received: list[int] = field(default_factory=list)  # message ids, in arrival order, repeats kept
    arrivals: dict[int, float] = field(default_factory=dict)  # message id → first arrival (perf_counter)
    online: list[str] = field(default_factory=list)
    online_version: int = -1
    presence_frames: list[float] = field(default_factory=list)  # arrival (perf_counter) of each chat:presence
    typing: list[str] = field(default_factory=list)  # the newest "is typing" names it was sent
    typing_version: int = -1
    typing_seen: list[list[str]] = field(default_factory=list)  # every typists list it was sent, in order
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    name_answers: list[dict[str, Any]] = field(default_factory=list)  # answers to `name`, in order
    headers: dict[str, str] = field(default_factory=dict)  # sent with the page request, e.g. X-Forwarded-For
    http: aiohttp.ClientSession | None = None  # a browser's cookies shared by tabs; the tab's own if None
    reconciled: list[dict[str, Any]] = field(default_factory=list)  # answers to `reconcile`, in order
    pages: list[dict[str, Any]] = field(default_factory=list)  # answers to `page`, in order
    deleted: list[int] = field(default_factory=list)  # ids of `chat:deleted` frames, repeats kept
    _client_id: str = ""
    _ws_url: str = ""
    _listeners: dict[str, tuple[str, str]] = field(default_factory=dict)  # event → (element, listener)
    _session: aiohttp.ClientSession | None = None
    _ws: aiohttp.ClientWebSocketResponse | None = None
    _reader: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def client_id(self) -> str:
        return self._client_id

    async def open(self) -> SimTab:
        url, last_id = await self.load_page()
        self._ws_url = url
        await self._connect(last_id)
        return self

    async def reconnect(self) -> None:
        """Drop the websocket and connect again as the same tab (as a browser does after a network
        blip), telling the newest id it has."""
        if self._reader:
            self._reader.cancel()
        if self._ws:
            await self._ws.close()
        await self._connect(max(self.received, default=0))

    async def _connect(self, last_id: int) -> None:
        assert self._session
        self._ws = await self._session.ws_connect(self._ws_url, heartbeat=None)
        await handshake(self._ws)
        self._reader = asyncio.create_task(self._read())
        await self.emit("sync", {"last_id": last_id, "resume": False})

    async def load_page(self) -> tuple[str, int]:
        """GET the page as a browser does; the websocket URL for this tab and the newest message id shown."""
        jar = aiohttp.CookieJar(unsafe=True)  # keeps the session cookie of 127.0.0.1, as a browser does
        self._session = self._session or self.http or aiohttp.ClientSession(cookie_jar=jar)
        async with self._session.get(self.base + "/", headers=self.headers) as response:
            html = await response.text()
        self._client_id, elements = read_page(html)
        last_id = 0
        for element_id, element in elements.items():
            for listener in element.get("events", []):
                self._listeners[listener["type"]] = (element_id, listener["listener_id"])
            props = element.get("props", {})
            if "messages" in props:
                last_id = max((m["id"] for m in props["messages"]), default=0)
            if isinstance(props.get("state"), dict):
                self._presence(props["state"])
            if isinstance(props.get("typing"), dict):
                self._typists(props["typing"])
        return socket_url(self.base, self._client_id), last_id

    async def _read(self) -> None:
        assert self._ws
        async for data in event_frames(self._ws):
            event, *args = json.loads(data[2:])
            payload = args[0] if args else None
            if event == "chat:messages":
                now = time.perf_counter()
                for message in payload:
                    self.received.append(message["id"])
                    self.arrivals.setdefault(message["id"], now)
            elif event == "chat:presence":
                self.presence_frames.append(time.perf_counter())
                self._presence(payload)
            elif event == "chat:typing":
                self._typists(payload)
            elif event == "chat:deleted":
                self.deleted.extend(payload["ids"])
            elif event == "run_javascript" and isinstance(payload, dict):
                call = RUN_METHOD.match(payload.get("code", ""))
                if call and call.group(1) == "setUsers":
                    self._presence(json.loads(call.group(2))[0])
                elif call and call.group(1) == "setTypists":
                    self._typists(json.loads(call.group(2))[0])
                elif call and call.group(1) == "nameAnswer":
                    self.name_answers.append(json.loads(call.group(2))[0])
                elif call and call.group(1) == "answer":
                    answer = json.loads(call.group(2))[0]
                    self.answers[answer.get("client_msg_id")] = answer
                elif call and call.group(1) == "reconciled":
                    self.reconciled.append(json.loads(call.group(2))[0])
                elif call and call.group(1) == "paged":
                    self.pages.append(json.loads(call.group(2))[0])
                elif call and call.group(1) == "drop":
                    self.deleted.extend(json.loads(call.group(2))[0]["ids"])
            self._changed.set()

    def _presence(self, state: dict[str, Any]) -> None:
        if state["version"] >= self.online_version:
            self.online_version = state["version"]
            self.online = list(state["names"])

    def _typists(self, state: dict[str, Any]) -> None:
        self.typing_seen.append(list(state["names"]))
        if state["version"] >= self.typing_version:
            self.typing_version = state["version"]
            self.typing = list(state["names"])

    async def typing_signal(self, typing: bool = True) -> None:
        """What the composer sends while its person types (true) or when they stop (false)."""
        await self.emit("typing", {"typing": typing})

    async def emit(self, kind: str, value: Any) -> None:
        """A UI event (`send`, `name`, `sync`, `reconcile`, ...) to the element listening for it, as the
        browser sends it; `value` may be anything, to try what a hostile tab could send."""
        assert self._ws
        await self._ws.send_str(self.event_frame(kind, value))

    def event_frame(self, kind: str, value: Any) -> str:
        """The socket.io text frame of a UI event, as `emit` sends it."""
        element_id, listener_id = self._listeners[kind]
        return event_frame(element_id, self._client_id, listener_id, [json.dumps(value)])

    async def send_frame(self, frame: str) -> None:
        """A raw engine.io/socket.io text frame, e.g. '42["event", ...]'."""
        assert self._ws
        await self._ws.send_str(frame)

    async def set_name(self, name: str) -> None:
        await self.emit("name", {"name": name})

    async def send(self, name: str, text: str) -> str:
        client_msg_id = str(uuid.uuid4())
        await self.emit("send", {"client_msg_id": client_msg_id, "name": name, "text": text})
        return client_msg_id

    async def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
        async def until() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(until(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.base}: timed out waiting for {what}") from None

    async def wait_closed(self, timeout: float = WAIT_SECONDS) -> int | None:
        """Until the server ends this tab's websocket; its close code."""
        assert self._reader and self._ws
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.base}: the server never closed the tab's websocket") from None
        return self._ws.close_code

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
        if self._ws:
            await self._ws.close()
        if self._session and self._session is not self.http:
            await self._session.close()


async def wait_all(tabs: list[SimTab], condition: Callable[[SimTab], bool], what: str) -> None:
    await asyncio.gather(*(tab.wait_for(lambda tab=tab: condition(tab), what) for tab in tabs))


class StalledTab:
    """A hostile tab that joins the room and then stops reading from its TCP socket, while it keeps the
    engine.io connection alive by sending pongs ("3") of its own on a timer.

    A raw websocket over a socket with a tiny receive buffer (and a tiny stream buffer), so the server's
    writes back up at once instead of filling megabytes of kernel buffers first."""

    PONG_SECONDS = 1.0

    def __init__(self, base: str) -> None:
        self.base = base
        self._page = SimTab(base)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._ponger: asyncio.Task[None] | None = None

    async def open(self) -> StalledTab:
        url, last_id = await self._page.load_page()
        parts = urlsplit(url)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small TCP window
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
        self._reader, self._writer = await asyncio.open_connection(sock=sock, limit=4096)
        key = base64.b64encode(os.urandom(16)).decode()
        self._writer.write(
            (
                f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        status = await self._reader.readuntil(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 101"), status
        assert (await self._read_text()).startswith("0")
        self._send_text("40")
        while not (await self._read_text()).startswith("40"):
            pass
        self._send_text(
            self._page.event_frame("sync", {"last_id": last_id, "resume": False})
        )  # joins the room
        self._ponger = asyncio.create_task(self._pong())
        return self

    async def _read_text(self) -> str:
        assert self._reader
        head = await self._reader.readexactly(2)
        length = head[1] & 0x7F
        if length == 126:
            length = struct.unpack("!H", await self._reader.readexactly(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", await self._reader.readexactly(8))[0]
        return (await self._reader.readexactly(length)).decode()

    def _send_text(self, text: str) -> None:
        assert self._writer
        data, mask = text.encode(), os.urandom(4)
        if len(data) < 126:
            header = bytes([0x81, 0x80 | len(data)])
        elif len(data) < 65536:
            header = bytes([0x81, 0xFE]) + struct.pack("!H", len(data))
        else:
            header = bytes([0x81, 0xFF]) + struct.pack("!Q", len(data))
        self._writer.write(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    async def _pong(self) -> None:
        while True:
            await asyncio.sleep(self.PONG_SECONDS)  # the attack: pongs on a timer, never reading a ping
            try:
                self._send_text("3")
                assert self._writer
                await self._writer.drain()
            except (ConnectionError, RuntimeError):
                return

    async def read_to_end(self) -> int:
        """Start reading again: the bytes that were still on their way, until the server closes the
        connection (a reset too: the server closed it with our unread pongs in its buffer)."""
        assert self._reader
        total = 0
        try:
            while chunk := await self._reader.read(65536):
                total += len(chunk)
        except ConnectionResetError:
            pass
        return total

    async def close(self) -> None:
        if self._ponger:
            self._ponger.cancel()
        if self._writer:
            self._writer.close()
        await self._page.close()

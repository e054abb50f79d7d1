"""Simulated browser tabs for the fan-out benchmark.

A `SimTab` behaves as NiceGUI's browser client does: GET `/`, read the client id and the element tree from
the page, open the socket.io websocket (engine.io v4) with the page's client id, answer pings, and send UI
events exactly as the browser would: for the chat, the message list's `sync` on connect and the composer's
`send` event ({client_msg_id, name, text}); for the textbook page, `update:value` then `keydown.enter` on
its `Message` input. It records when each benchmark message first reaches it, and counts repeats.

Tabs live in worker processes (`worker_main`), so the load generator is not the bottleneck; the coordinator
talks to the workers over pipes. The page reading, the handshake and the event frames are the tests' own
(tests/support/simtab.py): this tab adds the page's assets, compression and the textbook page's events.
"""

from __future__ import annotations

import asyncio
import json
import re
import resource
import time
import traceback
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import aiohttp

from tests.support.simtab import event_frame, event_frames, handshake, read_page, socket_url

TOKEN = re.compile(r"⟦(\d+)⟧")
COMPRESS = 15  # aiohttp then offers "permessage-deflate; client_max_window_bits", as Chromium does


@dataclass
class Control:
    element_id: str
    listeners: dict[str, str]  # "update" / "enter" / "send" / "sync" -> listener id
    last_id: int = 0  # the message list: the newest message id the page holds


def find_controls(elements: dict[str, Any]) -> dict[str, Control]:
    """The Name and Message inputs (textbook page), or the chat's composer and message list, with the
    listener ids a browser would use."""
    controls: dict[str, Control] = {}
    for element_id, element in elements.items():
        props = element.get("props", {})
        custom = {event["type"]: event["listener_id"] for event in element.get("events", [])}
        if "send" in custom:
            controls["Composer"] = Control(element_id, {"send": custom["send"]})
        if "sync" in custom:
            last_id = max((m["id"] for m in props.get("messages", [])), default=0)
            controls["MessageList"] = Control(element_id, {"sync": custom["sync"]}, last_id)
        label = props.get("aria-label") or props.get("label")
        if label not in ("Name", "Message"):
            continue
        listeners = {}
        for event in element.get("events", []):
            if event["type"] in ("update:value", "update:modelValue"):
                listeners["update"] = event["listener_id"]
            elif event["type"] == "keydown" and "enter" in event.get("keys", []) + event.get("modifiers", []):
                listeners["enter"] = event["listener_id"]
        controls[label] = Control(element_id, listeners)
    return controls


@dataclass
class SimTab:
    base: str
    counted_events: tuple[str, ...]
    arrivals: dict[int, float] = field(default_factory=dict)  # first arrival, handed over by `collect`
    seen: set[int] = field(default_factory=set)
    repeats: int = 0
    client_id: str = ""
    controls: dict[str, Control] = field(default_factory=dict)
    ws: aiohttp.ClientWebSocketResponse | None = None
    reader: asyncio.Task[None] | None = None
    session: aiohttp.ClientSession | None = None
    bytes_loaded: int = 0
    own: dict[int, asyncio.Event] = field(default_factory=dict)

    async def open(self, assets: list[str]) -> None:
        """Load the page as a fresh browser does: the HTML and every asset it references (`assets`, the
        list a real Chromium fetched), no cache, compressed transfer accepted, cookies kept for this tab
        only; then the websocket, offering permessage-deflate as Chromium does."""
        jar = aiohttp.CookieJar(unsafe=True)
        headers = {"Accept-Encoding": "gzip, deflate, br, zstd"}
        self.bytes_loaded = 0
        async with aiohttp.ClientSession(  # raw bodies: bytes_loaded counts what crossed the wire
            connector=aiohttp.TCPConnector(limit=6), cookie_jar=jar, headers=headers, auto_decompress=False
        ) as page_session:
            async with page_session.get(self.base + "/", auto_decompress=True) as response:
                html = await response.text()
                self.bytes_loaded += int(response.headers.get("Content-Length", len(html)))
            self.client_id, elements = read_page(html)
            self.controls = find_controls(elements)
            self.bytes_loaded += sum(
                await asyncio.gather(*(self._fetch(page_session, path) for path in assets))
            )
        # its own connection, as a browser opens for a websocket
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True), cookie_jar=jar)
        self.ws = await self.session.ws_connect(
            socket_url(self.base, self.client_id), heartbeat=None, compress=COMPRESS
        )
        await handshake(self.ws)
        self.reader = asyncio.create_task(self._read())
        if "MessageList" in self.controls:  # the chat puts a tab in the room once it has told its last id
            last_id = self.controls["MessageList"].last_id
            await self.emit("MessageList", "sync", {"last_id": last_id, "resume": False})

    async def _fetch(self, session: aiohttp.ClientSession, path: str) -> int:
        async with session.get(self.base + path) as response:
            assert response.status == 200, f"{path}: HTTP {response.status}"
            return len(await response.read())

    async def _read(self) -> None:
        assert self.ws
        async for data in event_frames(self.ws):
            now = time.time()
            event = data[4 : data.find('"', 4)]
            if event not in self.counted_events:
                continue
            for token in {int(t) for t in TOKEN.findall(data)}:
                if token in self.seen:
                    if event != "update":  # the textbook page re-sends its whole list by design
                        self.repeats += 1
                else:
                    self.seen.add(token)
                    self.arrivals[token] = now
                    if token in self.own:
                        self.own.pop(token).set()

    async def emit(self, control: str, kind: str, value: Any = None) -> None:
        assert self.ws
        target = self.controls[control]
        args = [json.dumps(value)] if value is not None else []
        await self.ws.send_str(event_frame(target.element_id, self.client_id, target.listeners[kind], args))

    async def post(self, name: str, token: int, size: int, timeout: float) -> float:
        """Type and send one message; wait until it comes back (the composer is busy until then)."""
        done = asyncio.Event()
        self.own[token] = done
        text = f"⟦{token}⟧ " + "x" * max(0, size - 12)
        if "Composer" in self.controls:
            posted = time.time()
            send = {"client_msg_id": str(uuid.uuid4()), "name": name, "text": text}
            await self.emit("Composer", "send", send)
        else:
            await self.emit("Name", "update", name)
            await self.emit("Message", "update", text)
            posted = time.time()
            await self.emit("Message", "enter")
        try:
            await asyncio.wait_for(done.wait(), timeout)
        except TimeoutError:
            self.own.pop(token, None)
        return posted

    async def close(self) -> None:
        if self.reader:
            self.reader.cancel()
        if self.ws:
            await self.ws.close()
        if self.session:
            await self.session.close()


async def _worker(conn: Connection, base: str, counted_events: tuple[str, ...], assets: list[str]) -> None:
    tabs: list[SimTab] = []
    loop = asyncio.get_running_loop()
    while True:
        command, arg = await loop.run_in_executor(None, conn.recv)
        if command == "open":  # (count, how many at a time)
            count, at_once = arg
            new = [SimTab(base, counted_events) for _ in range(count)]
            for start in range(0, len(new), at_once):
                await asyncio.gather(*(tab.open(assets) for tab in new[start : start + at_once]))
            tabs.extend(new)
            conn.send((len(tabs), sum(tab.bytes_loaded for tab in new)))
        elif command == "post":  # (schedule [(token, at, size)], senders, timeout)
            schedule, senders, timeout = arg
            conn.send(await _post_schedule(tabs[:senders], schedule, timeout))
        elif command == "collect":  # arrivals per token: list of times; and repeats
            arrivals: dict[int, list[float]] = defaultdict(list)
            repeats = 0
            for tab in tabs:
                for token, at in tab.arrivals.items():
                    arrivals[token].append(at)
                tab.arrivals.clear()
                repeats += tab.repeats
                tab.repeats = 0
            conn.send((dict(arrivals), repeats, len(tabs)))
        elif command == "cpu":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            conn.send(usage.ru_utime + usage.ru_stime)
        elif command == "stop":
            await asyncio.gather(*(tab.close() for tab in tabs), return_exceptions=True)
            conn.send("stopped")
            return


async def _post_schedule(
    senders: list[SimTab], schedule: list[tuple[int, float, int]], timeout: float
) -> dict[int, float]:
    """Send each message at its time from the first idle sender tab; returns token -> post time."""
    idle: asyncio.Queue[SimTab] = asyncio.Queue()
    for tab in senders:
        idle.put_nowait(tab)
    posted: dict[int, float] = {}
    running: list[asyncio.Task[None]] = []

    async def one(tab: SimTab, token: int, size: int) -> None:
        posted[token] = time.time()
        try:
            posted[token] = await tab.post(f"bench{senders.index(tab)}", token, size, timeout)
        except aiohttp.ClientError as error:
            print(f"sender {senders.index(tab)} failed: {error!r}; close code {tab.ws and tab.ws.close_code}")
        idle.put_nowait(tab)

    for token, at, size in schedule:
        delay = at - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tab = await idle.get()
        running.append(asyncio.create_task(one(tab, token, size)))
    await asyncio.gather(*running)
    return posted


def worker_main(conn: Connection, base: str, counted_events: tuple[str, ...], assets: list[str]) -> None:
    try:
        asyncio.run(_worker(conn, base, counted_events, assets))
    except BaseException:
        traceback.print_exc()
        raise

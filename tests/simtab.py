"""Simulated chat tabs (cluster, hardening and fuzz tests): speak NiceGUI's socket.io protocol as the
browser does, and record what arrives.

A tab records the message ids of every room frame in arrival order (so a test sees duplicates and
reorders, which the real browser would hide) and the newest online list it was sent.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp

ELEMENTS = re.compile(r"parseElements\(String\.raw`(.*?)`\)", re.S)
CLIENT_ID = re.compile(r"'client_id': '([^']+)'")
RUN_METHOD = re.compile(r'return runMethod\(\d+, "(\w+)", (.*)\)$', re.S)  # Element.run_method's code
WAIT_SECONDS = 30.0


@dataclass
class SimTab:
    base: str
    received: list[int] = field(default_factory=list)  # message ids, in arrival order, repeats kept
    arrivals: dict[int, float] = field(default_factory=dict)  # message id → first arrival (perf_counter)
    online: list[str] = field(default_factory=list)
    online_version: int = -1
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    reconciled: list[dict[str, Any]] = field(default_factory=list)  # answers to `reconcile`, in order
    _client_id: str = ""
    _listeners: dict[str, tuple[str, str]] = field(default_factory=dict)  # event → (element, listener)
    _session: aiohttp.ClientSession | None = None
    _ws: aiohttp.ClientWebSocketResponse | None = None
    _reader: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def open(self) -> SimTab:
        self._session = aiohttp.ClientSession()
        async with self._session.get(self.base + "/") as response:
            html = await response.text()
        client_id, elements = CLIENT_ID.search(html), ELEMENTS.search(html)
        assert client_id and elements, f"not the chat page: {html[:300]}"
        self._client_id = client_id.group(1)
        last_id = 0
        for element_id, element in json.loads(elements.group(1)).items():
            for listener in element.get("events", []):
                self._listeners[listener["type"]] = (element_id, listener["listener_id"])
            props = element.get("props", {})
            if "messages" in props:
                last_id = max((m["id"] for m in props["messages"]), default=0)
            if isinstance(props.get("state"), dict):
                self._presence(props["state"])
        query = urlencode(
            {
                "client_id": self._client_id,
                "next_message_id": 0,
                "implicit_handshake": "true",
                "tab_id": str(uuid.uuid4()),
                "document_id": str(uuid.uuid4()),
                "EIO": 4,
                "transport": "websocket",
            }
        )
        url = self.base.replace("http://", "ws://") + f"/_nicegui_ws/socket.io/?{query}"
        self._ws = await self._session.ws_connect(url, heartbeat=None)
        assert (await self._ws.receive_str()).startswith("0")
        await self._ws.send_str("40")
        while not (await self._ws.receive_str()).startswith("40"):
            pass
        self._reader = asyncio.create_task(self._read())
        await self.emit("sync", {"last_id": last_id, "resume": False})
        return self

    async def _read(self) -> None:
        assert self._ws
        async for frame in self._ws:
            data = frame.data
            if data == "2":
                await self._ws.send_str("3")
                continue
            if not isinstance(data, str) or not data.startswith("42"):
                continue
            event, *args = json.loads(data[2:])
            payload = args[0] if args else None
            if event == "chat:messages":
                now = time.perf_counter()
                for message in payload:
                    self.received.append(message["id"])
                    self.arrivals.setdefault(message["id"], now)
            elif event == "chat:presence":
                self._presence(payload)
            elif event == "run_javascript" and isinstance(payload, dict):
                call = RUN_METHOD.match(payload.get("code", ""))
                if call and call.group(1) == "setUsers":
                    self._presence(json.loads(call.group(2))[0])
                elif call and call.group(1) == "answer":
                    answer = json.loads(call.group(2))[0]
                    self.answers[answer.get("client_msg_id")] = answer
                elif call and call.group(1) == "reconciled":
                    self.reconciled.append(json.loads(call.group(2))[0])
            self._changed.set()

    def _presence(self, state: dict[str, Any]) -> None:
        if state["version"] >= self.online_version:
            self.online_version = state["version"]
            self.online = list(state["names"])

    async def emit(self, kind: str, value: Any) -> None:
        """A UI event (`send`, `name`, `sync`, `reconcile`, ...) to the element listening for it, as the
        browser sends it; `value` may be anything, to try what a hostile tab could send."""
        assert self._ws
        element_id, listener_id = self._listeners[kind]
        payload = {
            "id": int(element_id),
            "client_id": self._client_id,
            "listener_id": listener_id,
            "args": [json.dumps(value)],
        }
        await self._ws.send_str("42" + json.dumps(["event", payload]))

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

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
        if self._ws:
            await self._ws.close()
        if self._session:
            await self._session.close()


async def wait_all(tabs: list[SimTab], condition: Callable[[SimTab], bool], what: str) -> None:
    await asyncio.gather(*(tab.wait_for(lambda tab=tab: condition(tab), what) for tab in tabs))

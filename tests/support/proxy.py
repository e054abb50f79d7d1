"""A small reverse proxy (HTTP and websocket) for tests: every path is forwarded unchanged to the upstream,
as nginx does with `proxy_pass http://upstream;` (no URI part), so a prefix such as `/chat` is kept."""

from __future__ import annotations

import asyncio
import threading

import aiohttp
from aiohttp import web

from tests.support.server import free_port

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}


def forwarded(headers: object) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}  # type: ignore[attr-defined]


class Proxy:
    """Runs on its own event loop in a thread; `url` is where browsers connect."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="test proxy", daemon=True)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.requests: list[str] = []

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _start(self) -> None:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        self.requests.append(request.path)
        target = self.upstream + request.path_qs
        headers = forwarded(request.headers)
        headers["X-Forwarded-For"] = request.remote or ""
        headers["X-Forwarded-Proto"] = "http"
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request, target, headers)
        async with self._session.request(
            request.method, target, headers=headers, data=await request.read(), allow_redirects=False
        ) as upstream:
            body = await upstream.read()
            return web.Response(status=upstream.status, headers=forwarded(upstream.headers), body=body)

    async def _websocket(
        self, request: web.Request, target: str, headers: dict[str, str]
    ) -> web.StreamResponse:
        assert self._session is not None
        for name in ("Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions"):
            headers.pop(name, None)
        client = web.WebSocketResponse()
        await client.prepare(request)
        async with self._session.ws_connect(target.replace("http", "ws", 1), headers=headers) as server:

            async def pump(
                source: web.WebSocketResponse | aiohttp.ClientWebSocketResponse, sink: object
            ) -> None:
                async for message in source:
                    if message.type == aiohttp.WSMsgType.TEXT:
                        await sink.send_str(message.data)  # type: ignore[attr-defined]
                    elif message.type == aiohttp.WSMsgType.BINARY:
                        await sink.send_bytes(message.data)  # type: ignore[attr-defined]
                await sink.close()  # type: ignore[attr-defined]

            await asyncio.gather(pump(client, server), pump(server, client), return_exceptions=True)
        return client

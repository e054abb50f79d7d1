"""The tabs' websockets go straight to engine.io, past the page's middleware stack.

A websocket request of NiceGUI's socket.io endpoint otherwise passes every layer of the host app and of
NiceGUI's app (error handlers, routers and mounts, security headers, precompressed assets, telemetry,
sessions, gzip) on its way in, and each of those layers keeps a coroutine frame alive for as long as the
tab is open and wraps every frame sent to it: ~24 KiB and ~240 objects per tab, walked by the garbage
collector, and a chain of calls per frame per tab. None of them acts on a websocket (the socket.io
handshake reads no session; telemetry excludes the path), so the standalone server hands these requests
to engine.io directly, keeping only the connection cutter (`ConnectionCutter`) that can cut a tab that
stops reading. Long-polling and everything else take the normal way.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from app.patches.nicegui import SOCKET_PATH
from app.patches.starlette import added_middleware
from app.transport.send_queue import ConnectionCutter


class SocketLane:
    """ASGI app: websocket requests under `prefix` + `/socket.io/` go to `sockets`, the rest to `app`."""

    def __init__(self, app: ASGIApp, sockets: ASGIApp, prefix: str) -> None:
        self.app = app
        self.sockets = sockets
        self.prefix = prefix
        self._match = prefix + "/socket.io/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"].startswith(self._match):
            # as the mounts on the normal way would: NiceGUI's socket app strips root_path from the path
            await self.sockets(dict(scope, root_path=scope.get("root_path", "") + self.prefix), receive, send)
        else:
            await self.app(scope, receive, send)


def socket_lane(host: ASGIApp, mount_path: str) -> SocketLane:
    """`host` with the chat (mounted at `mount_path`, after `mount_chat`) given its websocket lane."""
    from nicegui import app as nicegui_app
    from nicegui.nicegui import sio_app

    bound: Any = next(
        (m.kwargs["bound"] for m in added_middleware(nicegui_app) if m.cls is ConnectionCutter),  # type: ignore[comparison-overlap]
        None,
    )
    if bound is None:
        raise RuntimeError("the send-queue bound is not installed: call mount_chat first")
    prefix = mount_path.rstrip("/") + SOCKET_PATH
    return SocketLane(host, ConnectionCutter(sio_app, bound), prefix)

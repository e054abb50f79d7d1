"""The standalone server's websocket lane: socket.io websockets go to engine.io, the rest as before."""

from __future__ import annotations

from typing import Any

import pytest

from app.transport.socket_lane import SocketLane

Seen = list[tuple[str, dict[str, Any]]]


def recorder(name: str, seen: Seen) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append((name, scope))

    return app


@pytest.mark.parametrize(
    ("kind", "path", "prefix", "expected"),
    [
        ("websocket", "/_nicegui_ws/socket.io/", "/_nicegui_ws", "sockets"),
        ("websocket", "/chat/_nicegui_ws/socket.io/", "/chat/_nicegui_ws", "sockets"),
        ("http", "/_nicegui_ws/socket.io/", "/_nicegui_ws", "app"),  # long-polling takes the normal way
        ("websocket", "/_nicegui_ws/socket.io", "/_nicegui_ws", "app"),  # not below the endpoint
        ("websocket", "/_nicegui_ws/socket.io/", "/chat/_nicegui_ws", "app"),  # another mount path
        ("websocket", "/other/socket.io/", "/_nicegui_ws", "app"),
        ("lifespan", "", "/_nicegui_ws", "app"),
    ],
)
async def test_only_socketio_websockets_take_the_lane(
    kind: str, path: str, prefix: str, expected: str
) -> None:
    seen: Seen = []
    lane = SocketLane(recorder("app", seen), recorder("sockets", seen), prefix)
    scope: dict[str, Any] = {"type": kind, "path": path, "root_path": ""} if path else {"type": kind}
    await lane(scope, None, None)
    [(name, given)] = seen
    assert name == expected
    if name == "sockets":
        assert given["root_path"] == prefix, "NiceGUI's socket app strips it from the path"
        assert given["path"] == path
        assert scope["root_path"] == "", "the server's scope is not changed"
    else:
        assert given is scope

"""uvicorn: a server that runs a hook before it closes its connections.

`Server._serve` awaits `self.shutdown(sockets=...)` once it is told to stop, and `shutdown` closes the
connections: an override of `shutdown` runs first (the chat tells the tabs it is going away).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

from app.patches.moved import names_used, parameters, require

LIBRARY = "uvicorn"
PINNED = "0.54.0"
USES = "Server.shutdown(sockets), awaited by Server._serve"


class HookedServer(uvicorn.Server):
    """uvicorn's Server that awaits `before_shutdown()` before it closes the connections."""

    def __init__(self, config: uvicorn.Config, before_shutdown: Callable[[], Awaitable[None]]) -> None:
        super().__init__(config)
        self._before_shutdown = before_shutdown

    async def shutdown(self, sockets: list[object] | None = None) -> None:  # type: ignore[override]
        await self._before_shutdown()
        await super().shutdown(sockets)  # type: ignore[arg-type]


def problems() -> list[str]:
    found = []
    server: Any = uvicorn.Server
    shutdown = getattr(server, "shutdown", None)
    if not inspect.iscoroutinefunction(shutdown) or parameters(shutdown) != ["self", "sockets"]:
        found.append("Server.shutdown(self, sockets) is gone")
    elif "shutdown" not in names_used(getattr(server, "_serve", None)) | names_used(server.serve):
        found.append("Server._serve no longer awaits Server.shutdown")
    return found


def check() -> None:
    require(LIBRARY, PINNED, problems())

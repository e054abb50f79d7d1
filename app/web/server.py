"""The uvicorn server: its options, and a server that tells the tabs it is going away before it stops."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import FrameType

import uvicorn

from app.config import Settings

# uvicorn waits this long for open connections after telling them to close; telemetry then gets its own
# deadline (4 s), so a stop takes well under 10 s even with a hung collector on a busy machine.
GRACEFUL_SECONDS = 1.5


class ChatServer(uvicorn.Server):
    """uvicorn that tells the tabs it is going away before it closes their connections."""

    def __init__(self, config: uvicorn.Config, before_shutdown: Callable[[], Awaitable[None]]) -> None:
        super().__init__(config)
        self._before_shutdown = before_shutdown

    async def shutdown(self, sockets: list[object] | None = None) -> None:  # type: ignore[override]
        await self._before_shutdown()
        await super().shutdown(sockets)  # type: ignore[arg-type]


def exit_cleanly(signum: int, _frame: FrameType | None) -> None:
    """uvicorn re-raises the signal that stopped it once it is done; by then the stop was graceful: exit 0."""
    raise SystemExit(0)


def uvicorn_options(settings: Settings) -> dict[str, object]:
    return {
        "host": settings.host,
        "port": settings.port,
        "ws": "wsproto",
        # No permessage-deflate: it kept a zlib context per connection (~290 KiB of the ~500 KiB per tab)
        # and compressed every room frame again for each tab, for frames of a few hundred bytes.
        "ws_per_message_deflate": False,
        "log_config": None,  # our logging setup applies to uvicorn's loggers too
        "access_log": False,  # every request is a span already
        "timeout_graceful_shutdown": GRACEFUL_SECONDS,
        "ws_max_size": settings.ws_max_message_bytes,  # a bigger frame from a tab closes its connection
    }

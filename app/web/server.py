"""The uvicorn server: its options, and a server that tells the tabs it is going away before it stops."""

from __future__ import annotations

from types import FrameType

from app.config import Settings
from app.patches.uvicorn import HookedServer

# uvicorn waits this long for open connections after telling them to close; telemetry then gets its own
# deadline (4 s), so a stop takes well under 10 s even with a hung collector on a busy machine.
GRACEFUL_SECONDS = 1.5


class ChatServer(HookedServer):
    """uvicorn that tells the tabs it is going away before it closes their connections (its hook:
    `MountedChat.announce_shutdown`)."""


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

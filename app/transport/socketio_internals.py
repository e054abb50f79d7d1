"""The python-socketio / python-engineio internals that fanout.py relies on, checked at start-up.

RoomFanout writes one encoded frame straight onto each room member's engine.io socket instead of
using python-socketio's room emit (which creates a task per recipient); send_queue.py replaces the
engine.io server's `create_queue` so each socket's queue counts its bytes, and closes a socket with
`AsyncSocket.close(wait=False, abort=True, reason=...)` when it overflows. Those are internals, not API:
pyproject.toml pins both packages exactly, and this check turns a change into a clear error at
start-up instead of a chat that silently delivers nothing. tests/ui/test_socketio_internals.py checks
the same internals end to end with a real server and client.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from engineio import async_socket
from engineio import packet as eio_packet
from socketio import packet

TESTED_WITH = {"python-socketio": "5.18.1", "python-engineio": "4.15.1"}


def _installed(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:  # e.g. a frozen binary without metadata
        return "unknown"


def internals_problems(sio: Any) -> list[str]:
    """What fanout.py needs from `sio` (a socketio.AsyncServer) and does not find; empty when all is there."""
    return list(_problems(sio))


def _problems(sio: Any) -> Iterator[str]:
    for module, name in ((packet, "EVENT"), (eio_packet, "MESSAGE"), (eio_packet, "Packet")):
        if not hasattr(module, name):
            yield f"{module.__name__}.{name} is gone"
    if not callable(getattr(sio, "packet_class", None)):
        yield "AsyncServer.packet_class is gone"
    else:
        try:
            encoded = sio.packet_class(packet.EVENT, namespace="/", data=["probe", [1]]).encode()
            frame = eio_packet.Packet(eio_packet.MESSAGE, encoded).encode()
        except Exception as error:
            yield f"encoding an event packet fails ({error!r})"
        else:
            if not (isinstance(encoded, str) and encoded.startswith("2[")):
                yield f"packet_class(EVENT, ...).encode() returns {encoded!r}, not a '2[...' string"
            elif frame != "4" + encoded:
                yield f"engineio Packet(MESSAGE, ...).encode() returns {frame!r}, not '4' + the event"
    get_participants = getattr(getattr(sio, "manager", None), "get_participants", None)
    if not callable(get_participants):
        yield "AsyncServer.manager.get_participants is gone"
    else:
        try:
            inspect.signature(get_participants).bind("/", "room")
            list(get_participants("/", "fan-out start-up probe"))
        except Exception as error:
            yield f"manager.get_participants(namespace, room) fails ({error!r})"
    if not callable(getattr(getattr(getattr(sio, "eio", None), "sockets", None), "get", None)):
        yield "AsyncServer.eio.sockets (engine.io sid -> socket mapping) is gone"
    if not inspect.iscoroutinefunction(getattr(sio, "enter_room", None)):
        yield "AsyncServer.enter_room is no longer a coroutine function"
    send = getattr(getattr(async_socket, "AsyncSocket", None), "send", None)
    if not inspect.iscoroutinefunction(send):
        yield "engineio AsyncSocket.send is no longer a coroutine function"
    elif list(inspect.signature(send).parameters) != ["self", "pkt"]:
        yield f"engineio AsyncSocket.send{inspect.signature(send)} no longer takes one packet"
    else:
        try:
            closed = async_socket.AsyncSocket(sio.eio, "fan-out start-up probe").closed
        except Exception as error:
            yield f"engineio AsyncSocket(server, sid).closed fails ({error!r})"
        else:
            if closed is not False:
                yield f"a new engineio AsyncSocket has closed={closed!r}, not False"
    yield from _send_queue_problems(getattr(sio, "eio", None))


def _send_queue_problems(eio: Any) -> Iterator[str]:
    """What send_queue.py needs: each new socket's queue comes from `eio.create_queue()`, the writer takes
    packets out of it with get/get_nowait, and a socket closes with close(wait, abort, reason)."""
    if not callable(getattr(eio, "create_queue", None)):
        yield "engineio AsyncServer.create_queue is gone"
        return
    marker = asyncio.Queue[Any]()
    probe_server = _ProbeServer(eio, marker)
    try:
        queue = async_socket.AsyncSocket(probe_server, "send queue start-up probe").queue
    except Exception as error:
        yield f"engineio AsyncSocket(server, sid) fails with a replaced create_queue ({error!r})"
    else:
        if queue is not marker:
            yield "engineio AsyncSocket no longer takes its queue from server.create_queue()"
    close = getattr(getattr(async_socket, "AsyncSocket", None), "close", None)
    if not inspect.iscoroutinefunction(close):
        yield "engineio AsyncSocket.close is no longer a coroutine function"
    else:
        try:
            inspect.signature(close).bind(None, wait=False, abort=True, reason="probe")
        except TypeError:
            yield f"engineio AsyncSocket.close{inspect.signature(close)} takes no wait/abort/reason"
    if not isinstance(getattr(getattr(eio, "reason", None), "SERVER_DISCONNECT", None), str):
        yield "engineio AsyncServer.reason.SERVER_DISCONNECT is gone"
    if not isinstance(getattr(eio, "max_http_buffer_size", None), int):
        yield "engineio AsyncServer.max_http_buffer_size is gone"


class _ProbeServer:
    """The engine.io server as a socket sees it, with create_queue returning a known queue."""

    def __init__(self, eio: Any, queue: asyncio.Queue[Any]) -> None:
        self._eio, self._queue = eio, queue

    def create_queue(self, *args: Any, **kwargs: Any) -> asyncio.Queue[Any]:
        return self._queue

    def __getattr__(self, name: str) -> Any:
        return getattr(self._eio, name)


def require_socketio_internals(sio: Any) -> None:
    """Raise RuntimeError naming what moved if fanout.py cannot work with the installed socket.io."""
    problems = internals_problems(sio)
    if problems:
        installed = ", ".join(f"{name} {_installed(name)}" for name in TESTED_WITH)
        tested = ", ".join(f"{name} {pinned}" for name, pinned in TESTED_WITH.items())
        raise RuntimeError(
            "the chat's transport (app/transport/fanout.py, app/transport/send_queue.py) uses "
            "python-socketio/engineio internals that changed: "
            + "; ".join(problems)
            + f". Installed: {installed}; tested with: {tested}. Install the pinned versions "
            "(pip install -c constraints.txt …) or re-check app/transport/fanout.py against the new ones."
        )

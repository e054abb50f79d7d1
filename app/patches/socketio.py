"""python-socketio: the room members, the packet encoder and the event handlers, checked on the real server.

RoomFanout writes one encoded frame straight onto each room member's engine.io socket instead of using
python-socketio's room emit (which creates a task per recipient): it needs `packet_class` to encode an
event, `manager.get_participants(namespace, room)` to yield (sid, engine.io sid) pairs, and the engine.io
server's sockets (app/patches/engineio.py). The event guard wraps the handlers in `handlers[namespace]`.
Those are internals, not API: `require_socketio_internals` turns a change into a clear error when the
fan-out starts, on the server it is given, instead of a chat that silently delivers nothing.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from socketio import packet

from app.patches import engineio as engineio_patches
from app.patches.moved import InternalsMoved, Moved, installed_version, names_used, require

LIBRARY = "python-socketio"
PINNED = "5.18.1"
USES = "AsyncServer.packet_class/handlers/enter_room, manager.get_participants"
TESTED_WITH = {LIBRARY: PINNED, engineio_patches.LIBRARY: engineio_patches.PINNED}

Handler = Callable[..., Any]


def encode_event(sio: Any, event: str, data: Any) -> str:
    """The socket.io EVENT packet `[event, data]` in the default namespace, encoded once for every tab."""
    encoded: str = sio.packet_class(packet.EVENT, namespace="/", data=[event, data]).encode()
    return encoded


def room_members(sio: Any, room: str) -> Iterator[tuple[str, str]]:
    """(socket.io sid, engine.io sid) of each socket in `room` of the default namespace."""
    members: Iterator[tuple[str, str]] = sio.manager.get_participants("/", room)
    return members


def room_sockets(sio: Any, room: str) -> Iterator[Any]:
    """The open engine.io socket of each member of `room`, each looked up just before it is yielded."""
    for _sid, eio_sid in list(room_members(sio, room)):
        socket = engineio_patches.open_socket(sio.eio, eio_sid)
        if socket is not None:
            yield socket


def event_handler(sio: Any, event: str) -> Handler:
    handler: Handler = sio.handlers["/"][event]
    return handler


def replace_event_handler(sio: Any, event: str, handler: Handler) -> None:
    sio.handlers["/"][event] = handler


def problems(sio: Any = None) -> list[str]:
    """What app/ needs from python-socketio and `sio` (a fresh AsyncServer when None)."""
    if sio is None:
        import socketio

        sio = socketio.AsyncServer(async_mode="asgi")
    found = []
    if not hasattr(packet, "EVENT"):
        found.append("socketio.packet.EVENT is gone")
    elif not callable(getattr(sio, "packet_class", None)):
        found.append("AsyncServer.packet_class is gone")
    else:
        try:
            encoded = encode_event(sio, "probe", [1])
            frame = engineio_patches.message_packet(encoded).encode()
        except Exception as error:
            found.append(f"encoding an event packet fails ({error!r})")
        else:
            if not (isinstance(encoded, str) and encoded.startswith("2[")):
                found.append(f"packet_class(EVENT, ...).encode() returns {encoded!r}, not a '2[...' string")
            elif frame != "4" + encoded:
                found.append(f"engineio Packet(MESSAGE, ...).encode() returns {frame!r}, not '4' + the event")
    get_participants = getattr(getattr(sio, "manager", None), "get_participants", None)
    if not callable(get_participants):
        found.append("AsyncServer.manager.get_participants is gone")
    else:
        try:
            inspect.signature(get_participants).bind("/", "room")
            list(get_participants("/", "fan-out start-up probe"))
        except Exception as error:
            found.append(f"manager.get_participants(namespace, room) fails ({error!r})")
    if not inspect.iscoroutinefunction(getattr(sio, "enter_room", None)):
        found.append("AsyncServer.enter_room is no longer a coroutine function")
    handlers = getattr(sio, "handlers", None)
    if not isinstance(handlers, dict):
        found.append("AsyncServer.handlers is gone")
    else:
        server = type(sio)
        lookup = getattr(server, "_get_event_handler", None) or getattr(server, "_trigger_event", None)
        if "handlers" not in names_used(lookup):
            found.append("AsyncServer no longer calls its event handlers from AsyncServer.handlers")
    if getattr(sio, "eio", None) is None:
        found.append("AsyncServer.eio (its engine.io server) is gone")
    return found


def check(sio: Any = None) -> None:
    require(LIBRARY, PINNED, problems(sio))


def internals_problems(sio: Any) -> list[str]:
    """What the fan-out and the send queues need from `sio` and its engine.io server; empty when all is
    there."""
    return [problem for found in _problems_by_library(sio).values() for problem in found]


def _problems_by_library(sio: Any) -> dict[str, list[str]]:
    eio = getattr(sio, "eio", None)
    return {LIBRARY: problems(sio), engineio_patches.LIBRARY: engineio_patches.problems(eio) if eio else []}


def require_socketio_internals(sio: Any) -> None:
    """Raise InternalsMoved naming what moved if the fan-out cannot work with the installed socket.io."""
    by_library = _problems_by_library(sio)
    found = [problem for problems_ in by_library.values() for problem in problems_]
    if found:
        installed = ", ".join(f"{name} {installed_version(name)}" for name in TESTED_WITH)
        tested = ", ".join(f"{name} {pinned}" for name, pinned in TESTED_WITH.items())
        moved = [
            Moved(name, installed_version(name), TESTED_WITH[name], tuple(problems_))
            for name, problems_ in by_library.items()
            if problems_
        ]
        raise InternalsMoved(
            moved,
            "the chat's transport (app/transport/fanout.py, app/transport/send_queue.py) uses "
            "python-socketio/engineio internals that changed: "
            + "; ".join(found)
            + f". Installed: {installed}; tested with: {tested}. Install the pinned versions "
            "(pip install -c constraints.txt …) or re-check app/patches/socketio.py and "
            "app/patches/engineio.py against the new ones.",
        )

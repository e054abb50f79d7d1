"""python-engineio: the sockets' queues and writer, the packet reader, the message handler, frames.

- Each socket takes its queue from the server's `create_queue()`; `replace_create_queue` gives each one a
  queue of ours (app/transport/send_queue.py counts its bytes), and `AsyncSocket.poll`, the writer's wait
  for packets, is replaced for websockets (`replace_poll`; `engineio_poll` is the original).
- A frame that does not parse raises out of `Packet.decode`, and `AsyncSocket.receive` indexes
  `packet_names` with any packet type: `filter_received` drops those packets instead (the event guard).
- The server's `handlers["message"]` is python-socketio's entry point for every packet; the event guard
  wraps it (`message_handler`, `replace_message_handler`).
- The fan-out queues one encoded frame on each open socket (`message_packet`, `open_socket`); a socket
  that falls behind is closed with `close(wait=False, abort=True, reason=SERVER_DISCONNECT)`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from engineio import async_socket, exceptions
from engineio import packet as eio_packet

from app.patches.moved import names_used, parameters, require

LIBRARY = "python-engineio"
PINNED = "4.15.1"
USES = (
    "AsyncServer.create_queue/handlers/sockets/max_http_buffer_size, AsyncSocket.poll/receive/send/close, "
    "Packet.decode"
)

MALFORMED = -1  # the packet type given to a frame that does not parse

Poll = Callable[[Any], Awaitable[list[Any]]]
Handler = Callable[..., Any]

# engine.io's own AsyncSocket.poll/receive and Packet.decode once replaced, and their replacements
_replaced: dict[str, Any] = {}
_replacements: dict[str, Any] = {}


def _own(owner: object, name: str) -> Any:
    """engine.io's `owner.name`: what is there, or what was there before we replaced it."""
    current = getattr(owner, name, None)
    return _replaced[name] if current is not None and current is _replacements.get(name) else current


def _replace(owner: Any, name: str, replacement: Any) -> None:
    _replaced[name], _replacements[name] = getattr(owner, name), replacement
    setattr(owner, name, replacement)


def replace_create_queue(eio: Any, create_queue: Callable[..., Any]) -> None:
    """Each new socket of `eio` takes its queue from `create_queue()`."""
    eio.create_queue = create_queue


def replace_poll(poll: Poll) -> None:
    """Every socket's writer waits for packets with `poll(socket)`. Idempotent."""
    if async_socket.AsyncSocket.poll is not poll:
        _replace(async_socket.AsyncSocket, "poll", poll)


async def engineio_poll(socket: Any) -> list[Any]:
    """engine.io's own poll, as it was before `replace_poll`."""
    result: list[Any] = await _replaced["poll"](socket)
    return result


def filter_received(drop: Callable[[str, Any], bool]) -> None:
    """A frame that does not parse becomes a packet of type MALFORMED instead of raising; each packet a
    socket receives goes to `drop(sid, packet_type)` first and is dropped when it says so. Installed once:
    the first filter stays."""
    receive = async_socket.AsyncSocket.receive
    if getattr(receive, "filtered", False):
        return
    decode = eio_packet.Packet.decode

    def decode_or_mark(pkt: Any, encoded_packet: Any) -> Any:
        # a frame engine.io cannot parse (`x`, empty, bad base64) raises out of the socket's reader:
        # an "Exception in ASGI application" traceback. Made a packet of no type, dropped by the filter.
        try:
            return decode(pkt, encoded_packet)
        except Exception:
            pkt.packet_type, pkt.data, pkt.binary = MALFORMED, None, False
            return None

    _replace(eio_packet.Packet, "decode", decode_or_mark)

    async def filtered_receive(socket: Any, pkt: Any) -> None:
        if drop(socket.sid, pkt.packet_type):
            return
        await receive(socket, pkt)

    filtered_receive.filtered = True  # type: ignore[attr-defined]
    _replace(async_socket.AsyncSocket, "receive", filtered_receive)


def is_packet_type(packet_type: object) -> bool:
    """Whether engine.io knows this packet type (what `AsyncSocket.receive` can look up)."""
    return (
        isinstance(packet_type, int)
        and not isinstance(packet_type, bool)
        and 0 <= packet_type < len(eio_packet.packet_names)
    )


def message_handler(eio: Any) -> Handler:
    handler: Handler = eio.handlers["message"]
    return handler


def replace_message_handler(eio: Any, handler: Handler) -> None:
    eio.handlers["message"] = handler


def limit_http_buffer(eio: Any, size: int) -> None:
    """The biggest message `eio` accepts (a long-poll POST's body, too), set after NiceGUI made it."""
    eio.max_http_buffer_size = size


def message_packet(encoded: str) -> Any:
    """An engine.io MESSAGE packet carrying an encoded socket.io packet."""
    return eio_packet.Packet(eio_packet.MESSAGE, encoded)


def open_socket(eio: Any, eio_sid: str) -> Any:
    """The engine.io socket `eio_sid`, None when it is gone or closed; `await socket.send(packet)` queues."""
    socket = eio.sockets.get(eio_sid)
    return socket if socket is not None and not socket.closed else None


def sockets(eio: Any) -> list[Any]:
    """Every engine.io socket of `eio` (each has `sid` and `queue`)."""
    return list(eio.sockets.values())


async def abort(eio: Any, socket: Any) -> None:
    """Close `socket` now, without waiting for its queue to drain (reason: server disconnect)."""
    await socket.close(wait=False, abort=True, reason=eio.reason.SERVER_DISCONNECT)


class _ProbeServer:
    """The engine.io server as a socket sees it, with create_queue returning a known queue."""

    def __init__(self, eio: Any, queue: asyncio.Queue[Any]) -> None:
        self._eio, self._queue = eio, queue

    def create_queue(self, *args: Any, **kwargs: Any) -> asyncio.Queue[Any]:
        return self._queue

    def __getattr__(self, name: str) -> Any:
        return getattr(self._eio, name)


def problems(eio: Any = None) -> list[str]:
    """What app/transport needs from python-engineio and `eio` (a fresh AsyncServer when None)."""
    if eio is None:
        import engineio

        eio = engineio.AsyncServer(async_mode="asgi")
    return _module_problems() + _server_problems(eio)


def _module_problems() -> list[str]:
    found = []
    for name in ("MESSAGE", "Packet", "packet_names"):
        if not hasattr(eio_packet, name):
            found.append(f"engineio.packet.{name} is gone")
    if found:
        return found
    socket_class: Any = async_socket.AsyncSocket
    send = getattr(socket_class, "send", None)
    if not inspect.iscoroutinefunction(send):
        found.append("engineio AsyncSocket.send is no longer a coroutine function")
    elif parameters(send) != ["self", "pkt"]:
        found.append(f"engineio AsyncSocket.send{inspect.signature(send)} no longer takes one packet")
    close = getattr(socket_class, "close", None)
    if not inspect.iscoroutinefunction(close):
        found.append("engineio AsyncSocket.close is no longer a coroutine function")
    else:
        try:
            inspect.signature(close).bind(None, wait=False, abort=True, reason="probe")
        except TypeError:
            found.append(f"engineio AsyncSocket.close{inspect.signature(close)} takes no wait/abort/reason")
    poll = _own(socket_class, "poll")
    if not inspect.iscoroutinefunction(poll) or parameters(poll) != ["self"]:
        found.append("engineio AsyncSocket.poll(self) is gone")
    elif "poll" not in names_used(getattr(socket_class, "_websocket_handler", None)):
        found.append("engineio's websocket writer no longer waits with AsyncSocket.poll")
    elif "QueueEmpty" not in names_used(socket_class._websocket_handler):
        found.append("engineio's websocket writer no longer stops on exceptions.QueueEmpty")
    if not hasattr(exceptions, "QueueEmpty"):
        found.append("engineio.exceptions.QueueEmpty is gone")
    receive = _own(socket_class, "receive")
    if not inspect.iscoroutinefunction(receive) or parameters(receive) != ["self", "pkt"]:
        found.append("engineio AsyncSocket.receive(self, pkt) is gone")
    decode = _own(eio_packet.Packet, "decode")
    if parameters(decode) != ["self", "encoded_packet"]:
        found.append("engineio Packet.decode(self, encoded_packet) is gone")
    elif "decode" not in names_used(eio_packet.Packet.__init__):
        found.append("engineio Packet(encoded_packet=...) no longer decodes with Packet.decode")
    else:
        try:
            decoded = eio_packet.Packet(encoded_packet="4probe")
        except Exception as error:
            found.append(f"engineio Packet(encoded_packet='4probe') fails ({error!r})")
        else:
            if (decoded.packet_type, decoded.data) != (eio_packet.MESSAGE, "probe"):
                found.append("engineio Packet(encoded_packet=...) no longer sets packet_type and data")
    return found


def _server_problems(eio: Any) -> list[str]:
    found = []
    if not callable(getattr(getattr(eio, "sockets", None), "get", None)):
        found.append("AsyncServer.eio.sockets (engine.io sid -> socket mapping) is gone")
    try:
        closed = async_socket.AsyncSocket(eio, "fan-out start-up probe").closed
    except Exception as error:
        found.append(f"engineio AsyncSocket(server, sid).closed fails ({error!r})")
    else:
        if closed is not False:
            found.append(f"a new engineio AsyncSocket has closed={closed!r}, not False")
    if not isinstance(getattr(eio, "handlers", None), dict):
        found.append("engineio AsyncServer.handlers is gone")
    elif "handlers" not in names_used(getattr(type(eio), "_trigger_event", None)):
        found.append("engineio AsyncServer no longer calls its handlers from AsyncServer.handlers")
    found += _send_queue_problems(eio)
    return found


def _send_queue_problems(eio: Any) -> list[str]:
    """What send_queue.py needs: each new socket's queue comes from `eio.create_queue()`, the writer takes
    packets out of it with get/get_nowait, and a socket closes with close(wait, abort, reason)."""
    found = []
    if not callable(getattr(eio, "create_queue", None)):
        return ["engineio AsyncServer.create_queue is gone"]
    marker = asyncio.Queue[Any]()
    try:
        socket = async_socket.AsyncSocket(_ProbeServer(eio, marker), "send queue start-up probe")
    except Exception as error:
        found.append(f"engineio AsyncSocket(server, sid) fails with a replaced create_queue ({error!r})")
    else:
        if getattr(socket, "queue", None) is not marker:
            found.append("engineio AsyncSocket no longer takes its queue from server.create_queue()")
        if getattr(socket, "upgraded", None) is not False:
            found.append("engineio AsyncSocket.upgraded is gone")
    if not isinstance(getattr(getattr(eio, "reason", None), "SERVER_DISCONNECT", None), str):
        found.append("engineio AsyncServer.reason.SERVER_DISCONNECT is gone")
    if not isinstance(getattr(eio, "max_http_buffer_size", None), int):
        found.append("engineio AsyncServer.max_http_buffer_size is gone")
    return found


def check(eio: Any = None) -> None:
    require(LIBRARY, PINNED, problems(eio))

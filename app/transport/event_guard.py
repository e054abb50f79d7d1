"""A guard in front of the socket.io events any browser can send to NiceGUI.

NiceGUI trusts the browser: `event` indexes `msg['client_id']`, `msg['id']`, `msg['listener_id']` and
decodes each argument as JSON; `log` writes `msg['message']` to the server log at `msg['level']`;
`ack`, `javascript_response` and `handshake` index into their payloads. A payload of another shape
raises in python-socketio's handler task, a traceback per event. Installed once at start-up, the
guard wraps those handlers:

- every socket has a token bucket over all its events (`EVENT_RATE` a second, bursts of
  `EVENT_BURST`); what exceeds it is dropped;
- payloads of the wrong shape or size, events for another page's client, for an element or listener
  the page does not have, are dropped before NiceGUI sees them;
- a handler that raises anyway costs one log line, not a traceback;
- a browser's `log` lines are capped (`LOG_MAX_CHARS`, their own bucket), control characters and
  line breaks replaced, the level one of debug/info/warning/error;
- a page client takes at most `MAX_SOCKETS_PER_CLIENT` sockets.

The page's own events (`send`, `name`, `sync`, `reconcile`, `page`) pass here like any other, then
are checked again by the tab's view for their shape and their own bounds (`app/ui/requests.py`, and e.g.
one `sync` per connection, one `page` of history in flight and at most `PAGE_RATE` a second).

Each socket's first dropped event is logged, with why; later ones are only counted, so a hostile tab
costs one log line, not one per event.
"""

from __future__ import annotations

import logging
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

import socketio
from nicegui.client import Client

from app.chat.flood import TokenBucket
from app.patches.engineio import (
    MALFORMED,
    filter_received,
    is_packet_type,
    message_handler,
    replace_message_handler,
)
from app.patches.nicegui import SOCKET_EVENTS, has_event_listener
from app.patches.socketio import event_handler, replace_event_handler

log = logging.getLogger(__name__)
browser_log = logging.getLogger("app.browser")

EVENT_RATE = 30  # events a second per socket, on average (CHAT_EVENT_RATE; 0: no limit)
EVENT_BURST = 200  # a paste of 50 messages sent at once stays well inside
LOG_RATE = 0.2  # browser log lines a second per socket, on average
LOG_BURST = 5
LOG_MAX_CHARS = 500
MAX_ARGS = 4
MAX_ARGS_CHARS = 32_000
MAX_ID_CHARS = 64
MAX_SOCKETS_PER_CLIENT = 4
MAX_TOLD = 10_000
LOG_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
GUARDED = SOCKET_EVENTS  # every socket.io event NiceGUI handles (its start-up check says when that changes)
UNSAFE_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

Handler = Callable[..., Any]


def clean_log_text(message: str) -> str:
    """One line, at most LOG_MAX_CHARS: control characters and line breaks become spaces."""
    text = UNSAFE_CHARACTERS.sub(" ", message[: LOG_MAX_CHARS + 1])
    return text if len(text) <= LOG_MAX_CHARS else text[:LOG_MAX_CHARS] + "…"


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_id(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS


@dataclass
class SocketState:
    """What the guard keeps per socket."""

    events: TokenBucket
    logs: TokenBucket
    client_id: str | None = None
    dropped: int = 0
    told: bool = False


class EventGuard:
    """Wraps NiceGUI's socket.io handlers on `sio` (see the module's docstring)."""

    def __init__(
        self,
        sio: socketio.AsyncServer,
        *,
        event_rate: int = EVENT_RATE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sio = sio
        self._event_rate = event_rate
        self._clock = clock
        self._sockets: dict[str, SocketState] = {}
        self._per_client: dict[str, int] = {}
        self._original: dict[str, Handler] = {}
        self._told_malformed: set[str] = set()  # engine.io sids whose malformed packet was logged

    def install(self) -> None:
        """Put the guard in front of NiceGUI's handlers (again after a test reset them: idempotent)."""
        for name in GUARDED:
            current = event_handler(self._sio, name)
            self._original[name] = getattr(current, "guarded_original", current)
            wrapper = getattr(self, f"_on_{name}")

            def guarded(*args: Any, _wrapper: Handler = wrapper) -> Any:
                return _wrapper(*args)

            if name in ("connect", "handshake"):

                async def guarded_async(*args: Any, _wrapper: Handler = wrapper) -> Any:
                    return await _wrapper(*args)

                guarded_async.guarded_original = self._original[name]  # type: ignore[attr-defined]
                replace_event_handler(self._sio, name, guarded_async)
            else:
                guarded.guarded_original = self._original[name]  # type: ignore[attr-defined]
                replace_event_handler(self._sio, name, guarded)

        self._guard_packets()

    def _guard_packets(self) -> None:
        """Malformed socket.io packets (`42{}`, `42[`) and engine.io packet types that do not exist
        (`9`) raise inside python-socketio/engineio, each logged with a traceback: drop them instead."""
        eio = self._sio.eio
        current = message_handler(eio)
        original = getattr(current, "guarded_original", current)

        async def guarded_message(eio_sid: str, data: Any) -> None:
            try:
                await original(eio_sid, data)
            except Exception as error:
                self._malformed(eio_sid, f"a malformed socket.io packet ({type(error).__name__})")

        guarded_message.guarded_original = original  # type: ignore[attr-defined]
        replace_message_handler(eio, guarded_message)
        filter_received(self._drop_packet)  # the first guard's filter stays (installed once per process)

    def _drop_packet(self, eio_sid: str, packet_type: Any) -> bool:
        """A frame that did not parse, or a packet type engine.io does not know: dropped, not raised."""
        if is_packet_type(packet_type):
            return False
        kind = "frame" if packet_type == MALFORMED else f"packet of type {packet_type!r}"
        self._malformed(eio_sid, f"a malformed engine.io {kind}")
        return True

    def _malformed(self, eio_sid: str, why: str) -> None:
        if eio_sid in self._told_malformed:
            return
        if len(self._told_malformed) >= MAX_TOLD:
            self._told_malformed.clear()  # bounded: at worst a socket is told about twice
        self._told_malformed.add(eio_sid)
        log.warning("engine.io socket %s: dropping %s; further ones are not logged", eio_sid, why)

    @property
    def sockets(self) -> int:
        return len(self._sockets)

    # connection

    async def _on_connect(self, sid: str, environ: Any = None, *_: Any) -> None:
        if sid in self._sockets:  # a browser can emit an event named "connect": not a connection
            self._drop(sid, self._sockets[sid], 'an event named "connect"')
            return
        query = environ.get("QUERY_STRING", "") if isinstance(environ, dict) else ""
        fields = {k: v[0] for k, v in urllib.parse.parse_qs(query if isinstance(query, str) else "").items()}
        implicit = fields.get("implicit_handshake") == "true"
        if implicit:
            problem = self._handshake_problem(fields)
            if problem is not None:
                log.warning("refused a socket: %s", problem)
                raise socketio.exceptions.ConnectionRefusedError("bad handshake")
        self._sockets[sid] = SocketState(
            TokenBucket(self._event_rate, EVENT_BURST, self._clock),
            TokenBucket(LOG_RATE, LOG_BURST, self._clock),
        )
        try:
            await self._original["connect"](sid, environ)
        except socketio.exceptions.ConnectionRefusedError:
            self._forget(sid)
            raise
        except Exception as error:
            self._forget(sid)
            log.warning("refused a socket: its connect failed (%s)", type(error).__name__)
            raise socketio.exceptions.ConnectionRefusedError("bad handshake") from None
        if implicit:
            self._bind(sid, fields["client_id"])

    async def _on_handshake(self, sid: str, *args: Any) -> bool:
        state = self._sockets.get(sid)
        data = args[0] if len(args) == 1 else None
        if state is None or state.client_id is not None:
            return False
        problem = self._handshake_problem(data)
        if problem is not None:
            self._drop(sid, state, problem)
            return False
        try:
            accepted = bool(await self._original["handshake"](sid, data))
        except Exception as error:
            self._drop(sid, state, f"handshake raised {type(error).__name__}")
            return False
        if accepted:
            assert isinstance(data, dict)
            self._bind(sid, data["client_id"])
        return accepted

    def _handshake_problem(self, data: Any) -> str | None:
        if not isinstance(data, dict):
            return "handshake: not an object"
        if not all(_is_id(data.get(key)) for key in ("client_id", "tab_id", "document_id")):
            return "handshake: client_id, tab_id and document_id must be short strings"
        if data.get("old_tab_id") is not None and not _is_id(data.get("old_tab_id")):
            return "handshake: old_tab_id must be a short string"
        next_id = data.get("next_message_id")
        if next_id is not None and not (
            _is_int(next_id) or (isinstance(next_id, str) and next_id.isascii() and next_id.isdigit())
        ):
            return "handshake: next_message_id must be a whole number"
        if self._per_client.get(data["client_id"], 0) >= MAX_SOCKETS_PER_CLIENT:
            return f"handshake: more than {MAX_SOCKETS_PER_CLIENT} sockets for one page"
        return None

    def _bind(self, sid: str, client_id: str) -> None:
        state = self._sockets.get(sid)
        if state is not None and state.client_id is None:
            state.client_id = client_id
            self._per_client[client_id] = self._per_client.get(client_id, 0) + 1

    def _forget(self, sid: str) -> None:
        state = self._sockets.pop(sid, None)
        if state is not None and state.client_id is not None:
            left = self._per_client.get(state.client_id, 1) - 1
            if left > 0:
                self._per_client[state.client_id] = left
            else:
                self._per_client.pop(state.client_id, None)

    def _on_disconnect(self, sid: str, *_: Any) -> None:
        state = self._sockets.get(sid)
        if state is not None and self._sio.manager.is_connected(sid, "/"):
            # python-socketio marks a socket that really goes as no longer connected first; an event a
            # browser named "disconnect" comes from a socket that is still there
            self._drop(sid, state, 'an event named "disconnect"')
            return
        self._forget(sid)
        self._call("disconnect", sid, None)

    # events from a connected page

    def _admit(self, sid: str, *args: Any) -> tuple[SocketState, dict[str, Any]] | None:
        """The socket's state and the payload, when the event may go on to be checked further."""
        state = self._sockets.get(sid)
        if state is None:
            return None
        if self._event_rate and not state.events.take():
            self._drop(sid, state, f"more than {self._event_rate} events a second")
            return None
        payload = args[0] if len(args) == 1 else None
        if not isinstance(payload, dict):
            self._drop(sid, state, "a payload that is not an object")
            return None
        if state.client_id is None or payload.get("client_id") != state.client_id:
            self._drop(sid, state, "an event for another page, or before the handshake")
            return None
        return state, payload

    def _on_event(self, sid: str, *args: Any) -> None:
        admitted = self._admit(sid, *args)
        if admitted is None:
            return
        state, msg = admitted
        problem = self._event_problem(msg)
        if problem is not None:
            self._drop(sid, state, problem)
            return
        self._call("event", sid, msg)

    def _event_problem(self, msg: dict[str, Any]) -> str | None:
        element_id, listener_id, event_args = msg.get("id"), msg.get("listener_id"), msg.get("args", [])
        if not _is_int(element_id) or not _is_id(listener_id):
            return "event: id must be an integer and listener_id a short string"
        if not isinstance(event_args, list) or len(event_args) > MAX_ARGS:
            return f"event: args must be a list of at most {MAX_ARGS}"
        if not all(arg is None or isinstance(arg, str) for arg in event_args):
            return "event: each argument must be a JSON string or null"
        if sum(len(arg) for arg in event_args if arg) > MAX_ARGS_CHARS:
            return f"event: arguments longer than {MAX_ARGS_CHARS} characters"
        client = Client.instances.get(msg["client_id"])
        element = client.elements.get(element_id) if client is not None else None
        if element is None:
            return "event: no such element"
        if not has_event_listener(element, listener_id):
            return "event: no such listener"
        return None

    def _on_ack(self, sid: str, *args: Any) -> None:
        admitted = self._admit(sid, *args)
        if admitted is None:
            return
        state, msg = admitted
        next_id = msg.get("next_message_id")
        if not _is_int(next_id) or next_id < 0:
            self._drop(sid, state, "ack: next_message_id must be a whole number")
            return
        self._call("ack", sid, msg)

    def _on_javascript_response(self, sid: str, *args: Any) -> None:
        admitted = self._admit(sid, *args)
        if admitted is None:
            return
        state, msg = admitted
        if not _is_id(msg.get("request_id")):
            self._drop(sid, state, "javascript_response: request_id must be a short string")
            return
        self._call("javascript_response", sid, msg)

    def _on_log(self, sid: str, *args: Any) -> None:
        """The browser's own log lines, made safe for the server log; NiceGUI's handler is not called."""
        admitted = self._admit(sid, *args)
        if admitted is None:
            return
        state, msg = admitted
        level, message = msg.get("level"), msg.get("message")
        if level not in LOG_LEVELS or not isinstance(message, str):
            self._drop(sid, state, "log: level must be debug/info/warning/error and message a string")
            return
        if not state.logs.take():
            self._drop(sid, state, f"more than {LOG_BURST} browser log lines at once")
            return
        browser_log.log(LOG_LEVELS[level], "browser (page %s): %s", state.client_id, clean_log_text(message))

    # outcomes

    def _call(self, name: str, sid: str, msg: dict[str, Any] | None) -> None:
        try:
            if msg is None:
                self._original[name](sid)
            else:
                self._original[name](sid, msg)
        except Exception as error:  # a payload NiceGUI could not use: one line per socket at most
            state = self._sockets.get(sid)
            if state is not None:
                self._drop(sid, state, f"{name}: NiceGUI's handler raised {type(error).__name__}")
            else:
                log.warning("socket %s: NiceGUI's %s handler raised %s", sid, name, type(error).__name__)

    def _drop(self, sid: str, state: SocketState, why: str) -> None:
        state.dropped += 1
        if not state.told:
            state.told = True
            log.warning(
                "socket %s (page %s): dropping events (first: %s); further drops are not logged",
                sid,
                state.client_id,
                why,
            )

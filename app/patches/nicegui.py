"""NiceGUI: the outbox's wake-up event, event listeners, the page request, its socket.io events and routes.

- Each tab's `Outbox.loop` creates `self._enqueue_event = asyncio.Event()` and waits on it with
  `wait_for(event.wait(), 1.0)`; `replace_outbox_event` turns that attribute into a property that stores an
  event of our own kind instead (app/transport/outbox_wakeup.py says why).
- An element keeps its listeners in `Element._event_listeners` (listener id -> EventListener, whose
  `request` is the page request); a client keeps its page request in `Client._request`, which its
  `request` property raises on once it is None. The event guard drops events for listeners an element
  does not have, and app/transport/slim_request.py cuts down the requests they hold.
- NiceGUI's socket.io handlers (`SOCKET_EVENTS`) are what the event guard wraps; its handshake puts each
  socket in a room named after its client; its socket.io app is mounted at `SOCKET_PATH`.
- `set_storage_secret` adds its SessionMiddleware and RequestTrackingMiddleware to the app's added
  middleware, where app/web/headers.py finds them; app/web/assets.py answers the URLs of NiceGUI's static
  files and of its `js_components` (each with a `key` and a `path`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from app.patches import socketio as socketio_patches
from app.patches.moved import names_used, require

LIBRARY = "nicegui"
PINNED = "3.18.0"
USES = (
    "Outbox._enqueue_event, Element._event_listeners, Client._request, socket.io handlers and rooms, "
    "session middleware, /_nicegui_ws and asset routes"
)

OUTBOX_EVENT = "_enqueue_event"
STORED = "_chat_enqueue_event"
SOCKET_PATH = "/_nicegui_ws"
SOCKET_EVENTS = ("connect", "handshake", "disconnect", "event", "javascript_response", "ack", "log")


def replace_outbox_event(make_event: Callable[[], asyncio.Event]) -> None:
    """Outboxes store `make_event()` wherever NiceGUI stores a new event of theirs. Idempotent; an outbox
    whose loop started before keeps its own event."""
    from nicegui.outbox import Outbox

    def get(outbox: Outbox) -> asyncio.Event | None:
        event: asyncio.Event | None = outbox.__dict__.get(STORED) or outbox.__dict__.get(OUTBOX_EVENT)
        return event

    def set_(outbox: Outbox, event: Any) -> None:
        outbox.__dict__[STORED] = None if event is None else make_event()

    if not isinstance(getattr(Outbox, OUTBOX_EVENT, None), property):
        setattr(Outbox, OUTBOX_EVENT, property(get, set_))


def has_event_listener(element: Any, listener_id: str) -> bool:
    return listener_id in element._event_listeners


def event_listeners(element: Any) -> Iterable[Any]:
    """The element's EventListeners."""
    listeners: Iterable[Any] = element._event_listeners.values()
    return listeners


def page_request(client: Any) -> Any:
    """The client's page request (None once NiceGUI let go of it), without the property that raises."""
    return client._request


def socket_ids(client: Any) -> list[str]:
    """The socket.io sids of the client's sockets: its handshake put each in a room named after it."""
    from nicegui import core

    return [sid for sid, _eio_sid in socketio_patches.room_members(core.sio, client.id)]


def problems() -> list[str]:
    from nicegui import core, storage
    from nicegui import nicegui as nicegui_module
    from nicegui.client import Client
    from nicegui.dependencies import js_components
    from nicegui.element import Element
    from nicegui.event_listener import EventListener
    from nicegui.outbox import Outbox
    from nicegui.version import __version__

    found = []
    for method in ("__init__", "loop", "_set_enqueue_event"):
        if OUTBOX_EVENT not in names_used(getattr(Outbox, method, None)):
            found.append(f"Outbox.{method} no longer uses Outbox.{OUTBOX_EVENT}")
    if not {"Event", "wait_for", "wait"} <= names_used(getattr(Outbox, "loop", None)):
        found.append("Outbox.loop no longer waits with wait_for(asyncio.Event().wait())")
    if "__slots__" in vars(Outbox):
        found.append("Outbox has __slots__: its event cannot be a property")
    for method in ("__init__", "_handle_event"):
        if "_event_listeners" not in names_used(getattr(Element, method, None)):
            found.append(f"Element.{method} no longer uses Element._event_listeners")
    if "request" not in {field.name for field in dataclasses.fields(EventListener)}:
        found.append("EventListener.request is gone")
    request_property = getattr(Client, "request", None)
    if "_request" not in names_used(getattr(Client, "__init__", None)) or "_request" not in names_used(
        getattr(request_property, "fget", None)
    ):
        found.append("Client._request (behind Client.request) is gone")
    handlers = getattr(core.sio, "handlers", {}).get("/", {})
    if set(handlers) != set(SOCKET_EVENTS):
        new, gone = sorted(set(handlers) - set(SOCKET_EVENTS)), sorted(set(SOCKET_EVENTS) - set(handlers))
        found.append(f"NiceGUI's socket.io events changed (new, unguarded: {new}; gone: {gone})")
    if "enter_room" not in names_used(getattr(nicegui_module, "_on_handshake", None)):
        found.append("NiceGUI's handshake no longer puts a socket in a room named after its client")
    if getattr(nicegui_module, "sio_app", None) is None:
        found.append("nicegui.nicegui.sio_app is gone")
    if not {"SessionMiddleware", "RequestTrackingMiddleware", "add_middleware"} <= names_used(
        getattr(storage, "set_storage_secret", None)
    ):
        found.append("set_storage_secret no longer adds SessionMiddleware and RequestTrackingMiddleware")
    if not all(
        hasattr(component, "key") and hasattr(component, "path") for component in js_components.values()
    ):
        found.append("nicegui.dependencies.js_components no longer hold components with a key and a path")
    paths = {getattr(route, "path", None) for route in core.app.routes}
    for path in (
        SOCKET_PATH,
        f"/_nicegui/{__version__}/static",
        f"/_nicegui/{__version__}/components/{{key:path}}",
    ):
        if path not in paths:
            found.append(f"NiceGUI no longer serves {path}")
    return found


def check() -> None:
    require(LIBRARY, PINNED, problems())

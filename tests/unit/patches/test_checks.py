"""Each patch module's check: passes on the installed versions, and names the library, its installed version
and what moved when one of the internals it relies on disappears or changes shape."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import engineio
import pytest
import socketio
import uvicorn
from engineio import async_socket, base_server, base_socket
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from starlette.applications import Starlette
from starlette.requests import Request

from app import patches
from app.patches import InternalsMoved
from app.patches import engineio as engineio_patches
from app.patches import socketio as socketio_patches
from app.transport.send_queue import poll_without_timer

Break = Callable[[pytest.MonkeyPatch], Any]


def test_every_check_passes_on_the_installed_versions() -> None:
    patches.check_all()
    rows = patches.report()
    assert [row.module for row in rows] == [patches.name_of(patch) for patch in patches.modules()]
    assert all(row.ok for row in rows), [row.text() for row in rows if not row.ok]
    for patch in patches.modules():
        patch.check()


def test_every_module_of_the_folder_is_checked() -> None:
    folder = Path(patches.__file__).parent
    files = {path.stem for path in folder.glob("*.py")} - {"__init__", "moved"}
    assert sorted(patches.name_of(patch) for patch in patches.modules()) == sorted(files)


def test_the_checks_see_engineios_own_functions_behind_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once our poll, decode and receive are installed, the checks look at engine.io's own ones."""
    socket_class: Any = async_socket.AsyncSocket
    for owner, name in ((socket_class, "poll"), (socket_class, "receive"), (eio_packet.Packet, "decode")):
        monkeypatch.setattr(owner, name, engineio_patches._own(owner, name))  # put back after the test
    monkeypatch.setattr(engineio_patches, "_replaced", dict(engineio_patches._replaced))
    monkeypatch.setattr(engineio_patches, "_replacements", dict(engineio_patches._replacements))
    engineio_patches.replace_poll(poll_without_timer)
    engineio_patches.filter_received(lambda _sid, _type: False)
    assert async_socket.AsyncSocket.poll is poll_without_timer
    engineio_patches.check()
    monkeypatch.delattr(async_socket.AsyncSocket, "poll")
    with pytest.raises(InternalsMoved, match=r"AsyncSocket\.poll\(self\) is gone"):
        engineio_patches.check()


async def _coroutine(*_args: Any, **_kwargs: Any) -> None:
    return None


def _function(*_args: Any, **_kwargs: Any) -> None:
    return None


async def _takes_nothing(self: Any) -> None:
    return None


def _no_enter_room(sio: Any) -> Any:
    sio.enter_room = _function
    return sio


# (module, what breaks, the words the error must say)
CASES: list[tuple[str, Break, str]] = [
    ("stdlib_asyncio", lambda mp: mp.delattr(asyncio.Queue, "_put"), "Queue._put(self, item) is gone"),
    ("stdlib_asyncio", lambda mp: mp.setattr(asyncio.Queue, "put_nowait", _function), "through _put"),
    ("stdlib_asyncio", lambda mp: mp.delattr(asyncio.Queue, "_get"), "Queue._get(self) is gone"),
    ("stdlib_asyncio", lambda mp: mp.setattr(asyncio.Queue, "get_nowait", _function), "through _get"),
    (
        "stdlib_asyncio",
        lambda mp: mp.setattr(asyncio.Event, "__init__", lambda self: setattr(self, "_waiters", [])),
        "Event._waiters is list, not a deque",
    ),
    ("stdlib_asyncio", lambda mp: mp.setattr(asyncio.Event, "set", _function), "Event.set() no longer"),
    (
        "starlette",
        lambda mp: mp.setattr(Request, "__init__", lambda self, scope, receive, send: None),
        "Request._receive/_send no longer hold",
    ),
    (
        "starlette",
        lambda mp: mp.setattr(Request, "receive", property(_function)),
        "Request.receive no longer",
    ),
    (
        "starlette",
        lambda mp: mp.setattr(Starlette, "build_middleware_stack", _function),
        "no longer reads Starlette.user_middleware",
    ),
    ("starlette", lambda mp: mp.setattr(Starlette, "add_middleware", _function), "add_middleware no longer"),
    (
        "uvicorn",
        lambda mp: mp.setattr(uvicorn.Server, "shutdown", _coroutine),
        "Server.shutdown(self, sockets)",
    ),
    (
        "uvicorn",
        lambda mp: mp.setattr(uvicorn.Server, "_serve", _coroutine),
        "no longer awaits Server.shutdown",
    ),
    ("engineio", lambda mp: mp.delattr(async_socket.AsyncSocket, "poll"), "AsyncSocket.poll(self) is gone"),
    (
        "engineio",
        lambda mp: mp.delattr(async_socket.AsyncSocket, "receive"),
        "AsyncSocket.receive(self, pkt)",
    ),
    ("engineio", lambda mp: mp.delattr(eio_packet.Packet, "decode"), "Packet.decode(self, encoded_packet)"),
    ("engineio", lambda mp: mp.setattr(eio_packet.Packet, "__init__", _function), "no longer decodes"),
    ("engineio", lambda mp: mp.delattr(eio_packet, "packet_names"), "engineio.packet.packet_names is gone"),
    ("engineio", lambda mp: mp.setattr(async_socket.AsyncSocket, "send", _function), "send is no longer a"),
    (
        "engineio",
        lambda mp: mp.setattr(async_socket.AsyncSocket, "close", _takes_nothing),
        "no wait/abort/reason",
    ),
    (
        "engineio",
        lambda mp: mp.setattr(async_socket.AsyncSocket, "_websocket_handler", _coroutine),
        "writer no longer waits with AsyncSocket.poll",
    ),
    ("engineio", lambda mp: mp.delattr(eio_exceptions, "QueueEmpty"), "exceptions.QueueEmpty is gone"),
    ("engineio", lambda mp: mp.setattr(engineio.AsyncServer, "create_queue", None), "create_queue is gone"),
    (
        "engineio",
        lambda mp: mp.setattr(base_socket.BaseSocket, "__init__", lambda self, server, sid: None),
        "no longer takes its queue from server.create_queue()",
    ),
    (
        "engineio",
        lambda mp: mp.delattr(base_server.BaseServer.reason, "SERVER_DISCONNECT"),
        "SERVER_DISCONNECT",
    ),
    ("engineio", lambda mp: mp.setattr(engineio.AsyncServer, "_trigger_event", _coroutine), "handlers"),
    (
        "socketio",
        lambda mp: mp.setattr(socketio.AsyncServer, "enter_room", _function),
        "enter_room is no longer",
    ),
    (
        "socketio",
        lambda mp: mp.setattr(socketio.AsyncServer, "_get_event_handler", _function),
        "event handlers from AsyncServer.handlers",
    ),
    ("socketio", lambda mp: mp.delattr(socketio.packet, "EVENT"), "socketio.packet.EVENT is gone"),
]


def _nicegui_cases() -> list[tuple[str, Break, str]]:
    from nicegui import core, storage
    from nicegui import nicegui as nicegui_module
    from nicegui.client import Client
    from nicegui.dependencies import js_components
    from nicegui.element import Element
    from nicegui.outbox import Outbox

    def fewer_events(mp: pytest.MonkeyPatch) -> None:
        handlers = dict(core.sio.handlers["/"], mine=_function)
        del handlers["log"]
        mp.setattr(core.sio, "handlers", {**core.sio.handlers, "/": handlers})

    def no_socket_mount(mp: pytest.MonkeyPatch) -> None:
        routes = [route for route in core.app.router.routes if getattr(route, "path", "") != "/_nicegui_ws"]
        mp.setattr(core.app.router, "routes", routes)

    @dataclasses.dataclass
    class Listener:
        id: str

    return [
        ("nicegui", lambda mp: mp.setattr(Outbox, "loop", _coroutine), "Outbox.loop no longer uses"),
        ("nicegui", lambda mp: mp.setattr(Outbox, "_set_enqueue_event", _function), "_set_enqueue_event"),
        ("nicegui", lambda mp: mp.setattr(Outbox, "__slots__", (), raising=False), "Outbox has __slots__"),
        ("nicegui", lambda mp: mp.setattr(Element, "_handle_event", _function), "Element._handle_event"),
        (
            "nicegui",
            lambda mp: mp.setattr("nicegui.event_listener.EventListener", Listener),
            "EventListener.request is gone",
        ),
        ("nicegui", lambda mp: mp.setattr(Client, "request", property(_function)), "Client._request"),
        ("nicegui", fewer_events, "new, unguarded: ['mine']; gone: ['log']"),
        ("nicegui", lambda mp: mp.setattr(nicegui_module, "_on_handshake", _coroutine), "a room named after"),
        ("nicegui", lambda mp: mp.delattr(nicegui_module, "sio_app"), "nicegui.nicegui.sio_app is gone"),
        ("nicegui", no_socket_mount, "NiceGUI no longer serves /_nicegui_ws"),
        (
            "nicegui",
            lambda mp: mp.setattr(storage, "set_storage_secret", _function),
            "no longer adds Session",
        ),
        (
            "nicegui",
            lambda mp: mp.setitem(js_components, "probe", object()),
            "components with a key and a path",
        ),
    ]


def _opentelemetry_cases() -> list[tuple[str, Break, str]]:
    import logging

    from opentelemetry import _logs, context
    from opentelemetry.exporter.otlp.proto.http import metric_exporter
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.sdk import _shared_internal
    from opentelemetry.sdk._logs import export as logs_export
    from opentelemetry.sdk.metrics.export import MetricExporter, PeriodicExportingMetricReader

    class NotADict:
        pass

    def records_nothing(cls: Any, target: Any, identifier: str, func: Any) -> None:
        return None

    return [
        (
            "opentelemetry_api",
            lambda mp: mp.setattr(context, "Context", NotADict),
            "Context is no longer a dict",
        ),
        ("opentelemetry_api", lambda mp: mp.delattr(_logs, "set_logger_provider"), "set_logger_provider"),
        (
            "opentelemetry_sdk",
            lambda mp: mp.setattr(MetricExporter, "__init__", lambda self, **kwargs: None),
            "MetricExporter._preferred_temporality is gone",
        ),
        (
            "opentelemetry_sdk",
            lambda mp: mp.setattr(PeriodicExportingMetricReader, "__init__", _function),
            "PeriodicExportingMetricReader no longer reads",
        ),
        (
            "opentelemetry_sdk",
            lambda mp: mp.setattr(_shared_internal, "_logger", logging.getLogger("elsewhere")),
            "no longer log through the opentelemetry.sdk._shared_internal logger",
        ),
        (
            "opentelemetry_sdk",
            lambda mp: mp.delattr(logs_export, "BatchLogRecordProcessor"),
            "opentelemetry.sdk._logs.export.BatchLogRecordProcessor is gone",
        ),
        (
            "opentelemetry_exporter_otlp_proto_http",
            lambda mp: mp.setattr(metric_exporter, "_logger", logging.getLogger("elsewhere")),
            "metric_exporter no longer logs through its own logger",
        ),
        (
            "opentelemetry_exporter_otlp_proto_http",
            lambda mp: mp.setattr(MetricExporter, "__init__", lambda self, **kwargs: None),
            "OTLPMetricExporter no longer keeps its preferred temporality",
        ),
        (
            "opentelemetry_instrumentation_sqlalchemy",
            lambda mp: mp.delattr(EngineTracer, "_remove_event_listener_params"),
            "EngineTracer._remove_event_listener_params is gone",
        ),
        (
            "opentelemetry_instrumentation_sqlalchemy",
            lambda mp: mp.setattr(EngineTracer, "_register_event_listener", classmethod(records_nothing)),
            "no longer records in _remove_event_listener_params",
        ),
        (
            "opentelemetry_instrumentation_sqlalchemy",
            lambda mp: mp.setattr(EngineTracer, "__init__", _function),
            "no longer listens to the pool events",
        ),
    ]


ALL_CASES = CASES + _nicegui_cases() + _opentelemetry_cases()


@pytest.mark.parametrize(("module", "break_it", "words"), ALL_CASES, ids=[c[2] for c in ALL_CASES])
def test_a_moved_internal_is_named_with_its_library_and_version(
    monkeypatch: pytest.MonkeyPatch, module: str, break_it: Break, words: str
) -> None:
    patch = patches.module(module)
    break_it(monkeypatch)
    with pytest.raises(InternalsMoved) as raised:
        patch.check()
    message = str(raised.value)
    assert f"{patch.LIBRARY} {patches.installed(patch)}" in message
    assert words in message
    assert [moved.library for moved in raised.value.moved] == [patch.LIBRARY]


def test_the_start_up_check_lists_every_library_that_moved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(async_socket.AsyncSocket, "poll")
    monkeypatch.setattr(uvicorn.Server, "_serve", _coroutine)
    with pytest.raises(InternalsMoved) as raised:
        patches.check_all()
    assert [moved.library for moved in raised.value.moved] == ["uvicorn", "python-engineio"]
    message = str(raised.value)
    assert message.startswith("library internals the chat relies on have moved: uvicorn ")
    assert "AsyncSocket.poll(self) is gone" in message and "no longer awaits Server.shutdown" in message
    assert "pip install -c constraints.txt" in message
    rows = {row.library: row for row in patches.report()}
    assert not rows["uvicorn"].ok and rows["uvicorn"].text().endswith("see app/patches/uvicorn.py)")
    assert rows["nicegui"].ok


def test_a_server_given_to_the_fanout_is_checked_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    sio = _no_enter_room(socketio.AsyncServer(async_mode="asgi"))
    with pytest.raises(InternalsMoved, match="python-socketio") as raised:
        socketio_patches.check(sio)
    assert "AsyncServer.enter_room is no longer a coroutine function" in str(raised.value)
    eio = engineio.AsyncServer(async_mode="asgi")
    monkeypatch.setattr(eio, "max_http_buffer_size", None)
    with pytest.raises(InternalsMoved, match="max_http_buffer_size is gone"):
        engineio_patches.check(eio)

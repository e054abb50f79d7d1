"""app/transport/fanout.py writes frames straight onto python-socketio/engineio internals: check they
still work.

A real socketio.AsyncServer (aiohttp) and a real socketio.AsyncClient over a real socket. If one of these
tests fails after an upgrade, the internals moved: re-check app/transport/fanout.py (and
app/patches/socketio.py, app/patches/engineio.py) against the new versions before changing the pins in
pyproject.toml.
"""

from __future__ import annotations

import asyncio
import tomllib
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import pytest
import socketio

from app.chat.bus import LocalBus
from app.chat.events import ChatMessage
from app.patches.socketio import TESTED_WITH, internals_problems, require_socketio_internals
from app.transport.fanout import MESSAGES_EVENT, ROOM, RoomFanout
from tests.support import ROOT
from tests.unit.transport.conftest import Room

MOVED = "python-socketio/engineio internals used by app/transport/fanout.py changed ({}): re-check fanout.py"


async def until(condition: Any, what: str, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(MOVED.format(f"timed out waiting for {what}"))
        await asyncio.sleep(0.02)


def test_pins_match_the_tested_versions() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = {
        dep.split("==")[0]: dep.split("==")[1] for dep in pyproject["project"]["dependencies"] if "==" in dep
    }
    for name, tested in TESTED_WITH.items():
        assert pins.get(name) == tested, (
            f"pyproject pins {name} {pins.get(name)}, fanout was checked with {tested}"
        )
        assert version(name) == tested, MOVED.format(f"{name} {version(name)} installed, pinned {tested}")


async def test_a_real_server_has_every_internal() -> None:
    assert internals_problems(socketio.AsyncServer(async_mode="aiohttp")) == []


async def test_participants_are_socketio_and_engineio_sids(room: Room) -> None:
    participants = list(room.sio.manager.get_participants("/", ROOM))
    assert len(participants) == 1, MOVED.format(f"get_participants gave {participants!r}")
    sid, eio_sid = participants[0]
    assert sid == room.client.get_sid("/"), MOVED.format("get_participants no longer yields (sid, eio_sid)")
    socket = room.sio.eio.sockets.get(eio_sid)
    assert socket is not None, MOVED.format("eio.sockets is not keyed by the engine.io sid")
    assert socket.closed is False, MOVED.format("an open engine.io socket has closed != False")


async def test_emit_to_room_reaches_the_client(room: Room) -> None:
    batch = [{"id": 1, "author": "Ann", "text": "hi <b>", "at": "2026-01-01T00:00:00+00:00"}]
    await room.fanout._emit_to_room(MESSAGES_EVENT, batch)
    try:
        got = await asyncio.wait_for(room.received.get(), 10)
    except TimeoutError:
        raise AssertionError(MOVED.format("a frame queued with socket.send(packet) never arrived")) from None
    assert got == batch, MOVED.format(f"the client decoded {got!r}")


async def test_a_published_message_reaches_the_client(room: Room) -> None:
    room.fanout.start()
    room.bus.publish(ChatMessage(7, "Bo", "hello", datetime(2026, 1, 1, tzinfo=UTC)))
    got = await asyncio.wait_for(room.received.get(), 10)
    assert [message["id"] for message in got] == [7]


async def test_a_closed_socket_is_skipped(room: Room) -> None:
    (_sid, eio_sid), *_ = room.sio.manager.get_participants("/", ROOM)
    socket = room.sio.eio.sockets[eio_sid]
    await room.client.disconnect()
    await until(lambda: socket.closed or eio_sid not in room.sio.eio.sockets, "the socket to close")
    await room.fanout._emit_to_room(MESSAGES_EVENT, [])  # no error for a tab that has just gone


async def test_missing_internals_stop_the_fanout_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    sio = socketio.AsyncServer(async_mode="aiohttp")
    monkeypatch.setattr(sio.manager, "get_participants", None)
    with pytest.raises(RuntimeError) as error:
        RoomFanout(LocalBus(), sio)
    message = str(error.value)
    assert "manager.get_participants is gone" in message
    assert "app/transport/fanout.py" in message
    assert "tested with: python-socketio 5.18.1, python-engineio 4.15.1" in message


async def test_a_changed_packet_encoding_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    sio = socketio.AsyncServer(async_mode="aiohttp")
    monkeypatch.setattr(sio.packet_class, "encode", lambda self: b"\x00binary")
    with pytest.raises(RuntimeError, match=r"packet_class\(EVENT, \.\.\.\)\.encode\(\) returns"):
        require_socketio_internals(sio)

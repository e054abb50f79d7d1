"""Presence frames are coalesced to at most one per PRESENCE_MIN_SECONDS; the newest state always goes out."""

from __future__ import annotations

import asyncio
from typing import Any

from app.chat.events import PresenceChanged
from app.transport.fanout import PRESENCE_EVENT, PRESENCE_MIN_SECONDS
from tests.ui.test_socketio_internals import Room, room  # noqa: F401  (the fixture: a real server and client)

CHANGES = 30


async def test_a_stream_of_changes_is_coalesced_and_the_last_one_arrives(room: Room) -> None:  # noqa: F811
    loop = asyncio.get_running_loop()
    frames: list[tuple[float, dict[str, Any]]] = []
    last = asyncio.Event()

    def on_presence(state: dict[str, Any]) -> None:
        frames.append((loop.time(), state))
        if state["version"] == CHANGES:
            last.set()

    room.client.on(PRESENCE_EVENT, on_presence)
    room.fanout.start()
    for version in range(1, CHANGES + 1):
        room.bus.publish(PresenceChanged(tuple(f"n{i}" for i in range(version)), version))
        await asyncio.sleep(0.01)  # a change every 10 ms: 100 a second, far more than 4
    await asyncio.wait_for(last.wait(), 10)
    span = frames[-1][0] - frames[0][0]
    assert len(frames) <= span / PRESENCE_MIN_SECONDS + 2, (len(frames), span)
    assert len(frames) < CHANGES / 3
    assert frames[-1][1]["names"] == [f"n{i}" for i in range(CHANGES)]
    versions = [state["version"] for _, state in frames]
    assert versions == sorted(versions)


async def test_a_single_change_goes_out_at_once(room: Room) -> None:  # noqa: F811
    got: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    room.client.on(PRESENCE_EVENT, got.put)
    room.fanout.start()
    room.bus.publish(PresenceChanged(("Ann",), 1))
    assert (await asyncio.wait_for(got.get(), 10))["names"] == ["Ann"]

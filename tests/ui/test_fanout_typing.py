""" "is typing" frames: coalesced to at most one per TYPING_MIN_SECONDS with the newest state last, sent
before a frame of messages that comes with a change, and sent by themselves when a typist expires."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from app.chat.events import ChatMessage, Typing
from app.chat.typists import TypingRoom
from app.transport.fanout import MESSAGES_EVENT, TYPING_EVENT, TYPING_MIN_SECONDS
from tests.ui.test_socketio_internals import Room, room  # noqa: F401  (the fixture: a real server and client)

CHANGES = 30


async def test_a_storm_of_signals_is_coalesced_and_the_last_state_arrives(room: Room) -> None:  # noqa: F811
    loop = asyncio.get_running_loop()
    frames: list[tuple[float, dict[str, Any]]] = []
    room.client.on(TYPING_EVENT, lambda state: frames.append((loop.time(), state)))
    room.fanout.start()
    for n in range(CHANGES):  # 30 tabs start typing, 100 a second
        room.bus.publish(Typing(f"n{n:02}", f"tab{n}"))
        await asyncio.sleep(0.01)
    final = [f"n{n:02}" for n in range(CHANGES)]
    async with asyncio.timeout(10):
        while not frames or frames[-1][1]["names"] != final:
            await asyncio.sleep(0.02)
    span = frames[-1][0] - frames[0][0]
    assert len(frames) <= span / TYPING_MIN_SECONDS + 2, (len(frames), span)
    assert len(frames) < CHANGES / 3
    versions = [state["version"] for _, state in frames]
    assert versions == sorted(versions)


async def test_a_change_goes_before_the_message_that_comes_with_it(room: Room) -> None:  # noqa: F811
    order: list[tuple[str, Any]] = []
    room.client.on(TYPING_EVENT, lambda state: order.append(("typing", state["names"])))
    room.client.on(MESSAGES_EVENT, lambda messages: order.append(("messages", messages[0]["text"])))
    room.fanout.start()
    room.bus.publish(Typing("Ann", "a"))
    async with asyncio.timeout(10):
        while not order:
            await asyncio.sleep(0.01)
    # within TYPING_MIN_SECONDS of the last typing frame: the stop would wait, but the message takes it along
    room.bus.publish(Typing("Ann", "a", stopped=True))
    room.bus.publish(ChatMessage(1, "Ann", "hello", datetime.now(UTC)))
    async with asyncio.timeout(10):
        while len(order) < 3:
            await asyncio.sleep(0.01)
    assert order == [("typing", ["Ann"]), ("typing", []), ("messages", "hello")]


async def test_a_typist_who_goes_quiet_expires_by_itself(room: Room) -> None:  # noqa: F811
    frames: list[list[str]] = []
    room.client.on(TYPING_EVENT, lambda state: frames.append(state["names"]))
    room.fanout.typing = TypingRoom(expiry=0.3)
    room.fanout.start()
    room.bus.publish(Typing("Ann", "a"))
    room.bus.publish(Typing("Bob", "b"))
    async with asyncio.timeout(10):
        while frames[-1:] != [[]]:
            await asyncio.sleep(0.01)
    assert frames[0] == ["Ann", "Bob"]

"""Message frames to a room are spaced by FRAME_SECONDS_PER_TAB per tab: messages in between are batched, none
is lost, and the first message after a quiet spell goes out at once."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from app.chat.events import ChatMessage
from app.transport import fanout as fanout_module
from app.transport.fanout import MESSAGES_EVENT
from tests.ui.test_socketio_internals import Room, room  # noqa: F401  (the fixture: a real server and client)

SPACING = 1.0  # seconds per tab, with the fixture's one tab: frames at least 1 s apart


def message(id: int) -> ChatMessage:
    return ChatMessage(id, "Bo", f"m{id}", datetime(2026, 1, 1, tzinfo=UTC))


async def test_a_big_room_gets_batched_frames_and_every_message(
    room: Room,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fanout_module, "FRAME_SECONDS_PER_TAB", SPACING)
    loop = asyncio.get_running_loop()
    frames: list[tuple[float, list[int]]] = []
    got_all = asyncio.Event()

    def on_messages(batch: list[dict[str, Any]]) -> None:
        frames.append((loop.time(), [m["id"] for m in batch]))
        if batch[-1]["id"] == 10:
            got_all.set()

    room.client.on(MESSAGES_EVENT, on_messages)
    room.fanout.start()
    published = loop.time()
    room.bus.publish(message(1))
    for id in range(2, 11):  # one every 20 ms, while the first frame's spacing runs
        await asyncio.sleep(0.02)
        room.bus.publish(message(id))
    await asyncio.wait_for(got_all.wait(), 10)

    assert [id for _, batch in frames for id in batch] == list(range(1, 11)), "each once, in order"
    assert frames[0][1] == [1], "the first message after a quiet spell goes at once"
    assert frames[0][0] - published < SPACING / 2
    assert len(frames) <= 3, frames
    gaps = [later[0] - earlier[0] for earlier, later in itertools.pairwise(frames)]
    assert all(gap >= SPACING * 0.9 for gap in gaps), gaps

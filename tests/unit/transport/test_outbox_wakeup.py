"""NiceGUI's outbox loop waits on a future (no task per wait); the event still wakes it and times out."""

from __future__ import annotations

import asyncio

import pytest
from nicegui.outbox import Outbox

from app.patches.nicegui import STORED
from app.patches.stdlib_asyncio import FutureEvent as WakeEvent
from app.transport import outbox_wakeup


async def test_wait_is_a_future_that_set_resolves() -> None:
    event = WakeEvent()
    tasks = len(asyncio.all_tasks())
    waiting = event.wait()
    assert isinstance(waiting, asyncio.Future) and not waiting.done()
    assert len(asyncio.all_tasks()) == tasks
    event.set()
    assert await asyncio.wait_for(waiting, 1) is True
    assert event.wait().done()  # already set: done at once
    event.clear()
    assert not event.wait().done()


async def test_a_timed_out_wait_leaves_no_waiter_behind() -> None:
    event = WakeEvent()
    for _ in range(3):
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(event.wait(), 0.01)
    assert not event._waiters  # type: ignore[attr-defined]
    later = event.wait()
    event.set()
    assert await asyncio.wait_for(later, 1) is True


def test_the_outbox_stores_a_wake_event_in_place_of_its_own() -> None:
    outbox_wakeup.install()
    outbox_wakeup.install()  # idempotent
    outbox = Outbox.__new__(Outbox)  # without a client or a loop task: only the attribute is looked at
    outbox._enqueue_event = None
    assert outbox._enqueue_event is None
    outbox._enqueue_event = asyncio.Event()
    assert isinstance(outbox._enqueue_event, WakeEvent)
    outbox.__dict__.pop(STORED)
    outbox.__dict__["_enqueue_event"] = plain = asyncio.Event()  # a loop started before install()
    assert outbox._enqueue_event is plain

"""NiceGUI's per-tab outbox loop waits for work without a task per wait.

Each tab's `Outbox.loop` waits with `asyncio.wait_for(event.wait(), timeout=1.0)`; on Python 3.11 that wraps
the `wait()` coroutine in a new task every time: one task always waiting per tab, and one more created per
tab per second while the tab is idle (1000 tasks a second at 1000 tabs, all garbage). The loop creates its
event itself, so `install()` turns the outbox's `_enqueue_event` attribute into a property that stores a
`WakeEvent` instead: the same event, whose `wait()` returns a future, which `wait_for` waits on as is.
"""

from __future__ import annotations

import asyncio
from typing import Any

from nicegui.outbox import Outbox

ATTRIBUTE = "_enqueue_event"
STORED = "_chat_enqueue_event"


class WakeEvent(asyncio.Event):
    """An asyncio.Event whose `wait()` is a future (done when the event is set), not a coroutine."""

    def wait(self) -> asyncio.Future[bool]:  # type: ignore[override]
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        if self.is_set():
            waiter.set_result(True)
        else:
            self._waiters.append(waiter)  # set() resolves each waiter
            waiter.add_done_callback(self._waiters.remove)
        return waiter


def _get(outbox: Outbox) -> asyncio.Event | None:
    # an outbox whose loop started before `install()` keeps its own event
    event: asyncio.Event | None = outbox.__dict__.get(STORED) or outbox.__dict__.get(ATTRIBUTE)
    return event


def _set(outbox: Outbox, event: Any) -> None:
    outbox.__dict__[STORED] = None if event is None else WakeEvent()


def install() -> None:
    """Idempotent; outboxes whose loop started before keep their own event."""
    if not isinstance(getattr(Outbox, ATTRIBUTE, None), property):
        setattr(Outbox, ATTRIBUTE, property(_get, _set))

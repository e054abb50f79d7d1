"""NiceGUI's per-tab outbox loop waits for work without a task per wait.

Each tab's `Outbox.loop` waits with `asyncio.wait_for(event.wait(), timeout=1.0)`; on Python 3.11 that wraps
the `wait()` coroutine in a new task every time: one task always waiting per tab, and one more created per
tab per second while the tab is idle (1000 tasks a second at 1000 tabs, all garbage). The loop creates its
event itself, so `install()` has the outbox store a `FutureEvent` instead: the same event, whose `wait()`
returns a future, which `wait_for` waits on as is (the insides: app/patches/nicegui.py and
app/patches/stdlib_asyncio.py).
"""

from __future__ import annotations

from app.patches.nicegui import replace_outbox_event
from app.patches.stdlib_asyncio import FutureEvent


def install() -> None:
    """Idempotent; outboxes whose loop started before keep their own event."""
    replace_outbox_event(FutureEvent)

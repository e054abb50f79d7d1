"""asyncio (the standard library): a queue with hooks on its storage, and an Event that waits on a future.

`asyncio.Queue` keeps its items behind `_put`/`_get`, which `put_nowait`/`get_nowait` call; overriding them
is the one place that sees every item go in and out (SendQueue counts bytes there). `asyncio.Event` keeps
the futures waiting on it in `_waiters`, which `set()` resolves; an Event whose `wait()` is a future adds
its own there (NiceGUI's outbox loop then waits without a task per wait).
"""

from __future__ import annotations

import asyncio
import platform
from collections import deque
from typing import Any, TypeVar

from app.patches.moved import names_used, parameters, require

LIBRARY = "python"
PINNED = "3.11"  # the lock's Python; these internals are the same in 3.12 and 3.13
USES = "Queue._put, Queue._get, Event._waiters"

T = TypeVar("T")


def installed() -> str:
    return platform.python_version()


class HookedQueue(asyncio.Queue[T]):
    """An asyncio.Queue that calls `on_put(item)` once an item is stored and `on_get(item)` once one is
    taken out, whichever method put or took it."""

    def _put(self, item: T) -> None:
        super()._put(item)
        self.on_put(item)

    def _get(self) -> T:
        item = super()._get()
        self.on_get(item)
        return item

    def on_put(self, item: T) -> None:
        """Called after `item` went into the queue's storage."""

    def on_get(self, item: T) -> None:
        """Called after `item` came out of the queue's storage."""

    def take_first(self) -> T:
        """The first item out of the storage (`on_get` runs), without get_nowait's wake-up of a blocked
        putter: for handing an item to a reader from inside `on_put` of an unbounded queue."""
        return self._get()


class FutureEvent(asyncio.Event):
    """An asyncio.Event whose `wait()` is a future (done when the event is set), not a coroutine:
    `asyncio.wait_for` waits on it as it is, where a coroutine would be wrapped in a new task each time."""

    def wait(self) -> asyncio.Future[bool]:  # type: ignore[override]
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        if self.is_set():
            waiter.set_result(True)
        else:
            self._waiters.append(waiter)  # set() resolves each waiter
            waiter.add_done_callback(self._waiters.remove)
        return waiter


class _Waiter:
    """Stands in for a future in the Event probe (no event loop needed)."""

    def __init__(self) -> None:
        self.result: object = None

    def done(self) -> bool:
        return self.result is not None

    def set_result(self, result: object) -> None:
        self.result = result


def problems() -> list[str]:
    found = []
    queue: Any = asyncio.Queue
    if parameters(getattr(queue, "_put", None)) != ["self", "item"]:
        found.append("Queue._put(self, item) is gone")
    elif "_put" not in names_used(queue.put_nowait):
        found.append("Queue.put_nowait no longer stores through _put")
    if parameters(getattr(queue, "_get", None)) != ["self"]:
        found.append("Queue._get(self) is gone")
    elif "_get" not in names_used(queue.get_nowait):
        found.append("Queue.get_nowait no longer takes through _get")
    event: Any = asyncio.Event()
    waiters = getattr(event, "_waiters", None)
    if not isinstance(waiters, deque):
        found.append(f"Event._waiters is {type(waiters).__name__}, not a deque")
    else:
        waiter = _Waiter()
        waiters.append(waiter)
        event.set()
        if waiter.result is not True:
            found.append("Event.set() no longer resolves the futures in Event._waiters")
    return found


def check() -> None:
    require(LIBRARY, PINNED, problems(), installed())

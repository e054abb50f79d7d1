"""Waiting for a condition with a deadline (never a fixed sleep): on this event loop, or a blocking one
polled in a thread."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

WAIT_SECONDS = 10.0


async def until(
    condition: Callable[[], bool],
    what: str = "the condition",
    timeout: float = WAIT_SECONDS,
    poll: float = 0.005,
) -> None:
    """Until `condition()` holds (checked every `poll` s); AssertionError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(poll)


async def eventually(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Until a blocking `condition()` (an HTTP request, a query) holds, run in a thread every 0.2 s;
    AssertionError naming `what` after `timeout` seconds."""

    async def poll() -> None:
        while not await asyncio.to_thread(condition):
            await asyncio.sleep(0.2)

    try:
        await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None

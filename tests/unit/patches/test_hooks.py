"""The small pieces app/patches/ gives the rest of app/: the hooked queue, the names a function uses."""

from __future__ import annotations

import asyncio
from typing import Any

from app.patches.moved import constants_used, names_used
from app.patches.stdlib_asyncio import HookedQueue


class Recorded(HookedQueue[str]):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str]] = []

    def on_put(self, item: str) -> None:
        self.seen.append(("put", item))

    def on_get(self, item: str) -> None:
        self.seen.append(("get", item))


async def test_the_hooks_see_every_item_in_and_out() -> None:
    queue = Recorded()
    queue.put_nowait("a")
    await queue.put("b")
    assert queue.get_nowait() == "a"
    assert await queue.get() == "b"
    queue.put_nowait("c")
    assert queue.take_first() == "c"
    assert queue.empty()
    assert queue.seen == [("put", "a"), ("put", "b"), ("get", "a"), ("get", "b"), ("put", "c"), ("get", "c")]


async def test_a_waiting_getter_gets_the_item_and_the_hook_sees_it() -> None:
    queue = Recorded()
    waiting = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("x")
    assert await asyncio.wait_for(waiting, 1) == "x"
    assert queue.seen == [("put", "x"), ("get", "x")]


def test_names_and_constants_include_nested_functions() -> None:
    def outer(thing: Any) -> Any:
        def inner() -> Any:
            return thing.deep_name, "a constant"

        return thing.shallow_name, inner

    assert {"shallow_name", "deep_name"} <= names_used(outer)
    assert "a constant" in constants_used(outer)
    assert names_used(None) == set() and names_used(len) == set()

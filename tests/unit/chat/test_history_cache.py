"""The history every page load shows is read once and shared, and never outlives a new message."""

from __future__ import annotations

import asyncio

from app.chat.bus import LocalBus
from app.chat.service import HISTORY_CACHE_SECONDS, ChatService
from app.store.messages import MessageStore


class CountingStore:
    """The real store, counting the history reads."""

    def __init__(self, store: MessageStore) -> None:
        self._store = store
        self.reads = 0
        self.gate: asyncio.Event | None = None  # when set, a read waits for it after querying

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def recent(self, limit: int) -> list[object]:
        self.reads += 1
        rows = await self._store.recent(limit)
        if self.gate is not None:
            await self.gate.wait()
        return rows  # type: ignore[return-value]


def service_on(store: MessageStore) -> tuple[ChatService, CountingStore, list[float]]:
    counting = CountingStore(store)
    now = [100.0]
    service = ChatService(
        counting,  # type: ignore[arg-type]
        LocalBus(),
        history_limit=3,
        rate_limit=0,
        clock=lambda: now[0],
    )
    return service, counting, now


async def test_page_loads_share_one_read_until_a_message_arrives(store: MessageStore) -> None:
    service, counting, _now = service_on(store)
    await service.post_message("ann", "first")
    first = await service.recent_messages()
    again = await service.recent_messages()
    assert [m.text for m in first] == [m.text for m in again] == ["first"]
    assert counting.reads == 1
    again.clear()  # a caller's list is its own
    assert len(await service.recent_messages()) == 1

    await service.post_message("bob", "second")  # published on the bus: the shared copy is dropped
    assert [m.text for m in await service.recent_messages()] == ["first", "second"]
    assert counting.reads == 2


async def test_a_change_behind_the_chats_back_shows_after_the_cache_time(store: MessageStore) -> None:
    service, counting, now = service_on(store)
    assert await service.recent_messages() == []
    await store.add("eve", "written by another program")  # no bus event
    assert await service.recent_messages() == []  # still the shared copy
    now[0] += HISTORY_CACHE_SECONDS
    assert [m.text for m in await service.recent_messages()] == ["written by another program"]
    assert counting.reads == 2


async def test_a_read_overtaken_by_a_message_is_not_kept(store: MessageStore) -> None:
    service, counting, _now = service_on(store)
    counting.gate = asyncio.Event()
    slow = asyncio.create_task(service.recent_messages())  # reads the empty history, then waits
    while counting.reads == 0:
        await asyncio.sleep(0.01)
    gate, counting.gate = counting.gate, None
    await service.post_message("ann", "arrived meanwhile")  # while the first read is still under way
    gate.set()
    assert await slow == []  # what it read is what it answers ...
    assert [m.text for m in await service.recent_messages()] == ["arrived meanwhile"]  # ... but not kept


async def test_other_limits_always_read(store: MessageStore) -> None:
    service, counting, _now = service_on(store)
    for i in range(5):
        await service.post_message("ann", f"m{i}")
    assert len(await service.recent_messages(5)) == 5
    assert len(await service.recent_messages(5)) == 5
    assert counting.reads == 2

"""Pages of older (and newer) history, keyset by id, on SQLite and on PostgreSQL (the `store` fixture
runs both); the page's counting against an in-memory store."""

from __future__ import annotations

from typing import cast

from app.chat.bus import LocalBus
from app.chat.service import ChatService
from app.store.messages import MessageStore
from tests.support.fakes import FakeMessageStore, RecordingMetrics

MAX_ID = 2**53 - 1


async def posted(store: MessageStore, count: int, *, page: int = 3) -> tuple[ChatService, list[int]]:
    service = ChatService(store, LocalBus(), history_limit=page, rate_limit=0)
    ids = [(await service.post_message("ann", f"message {n}")).id for n in range(count)]
    return service, ids


async def test_the_store_reads_the_newest_before_an_id_oldest_first(store: MessageStore) -> None:
    _, ids = await posted(store, 7)
    assert [row.id for row in await store.before(ids[5], 3)] == ids[2:5]
    assert [row.id for row in await store.before(ids[2], 3)] == ids[0:2]
    assert await store.before(ids[0], 3) == []
    assert [row.id for row in await store.before(MAX_ID, 2)] == ids[5:]


async def test_paging_back_to_the_beginning(store: MessageStore) -> None:
    service, ids = await posted(store, 8)
    first = await service.older_messages(ids[7])
    assert [m.id for m in first.messages] == ids[4:7] and not first.complete
    second = await service.older_messages(first.messages[0].id)
    assert [m.id for m in second.messages] == ids[1:4] and not second.complete  # one more is left
    last = await service.older_messages(second.messages[0].id)
    assert [m.id for m in last.messages] == ids[:1] and last.complete
    assert (await service.older_messages(ids[0])).complete
    seen = [m.text for page in (last, second, first) for m in page.messages]
    assert seen == [f"message {n}" for n in range(7)]


async def test_a_short_last_page_says_it_is_the_beginning(store: MessageStore) -> None:
    service, ids = await posted(store, 5)
    page = await service.older_messages(ids[2])
    assert [m.id for m in page.messages] == ids[0:2] and page.complete


async def test_a_page_of_exactly_the_rest_is_the_beginning(store: MessageStore) -> None:
    service, ids = await posted(store, 4)
    page = await service.older_messages(ids[3])
    assert [m.id for m in page.messages] == ids[0:3] and page.complete


async def test_an_empty_chat_has_one_empty_complete_page(store: MessageStore) -> None:
    service = ChatService(store, LocalBus(), history_limit=3, rate_limit=0)
    for page in (await service.older_messages(MAX_ID), await service.newer_messages(1)):
        assert page.messages == [] and page.complete


async def test_the_newest_page_is_the_one_before_the_largest_id(store: MessageStore) -> None:
    service, ids = await posted(store, 5)
    page = await service.older_messages(MAX_ID)
    assert [m.id for m in page.messages] == ids[2:] and not page.complete


async def test_paging_down_to_the_newest(store: MessageStore) -> None:
    service, ids = await posted(store, 7)
    down = await service.newer_messages(ids[0])
    assert [m.id for m in down.messages] == ids[1:4] and not down.complete
    down = await service.newer_messages(ids[3])
    assert [m.id for m in down.messages] == ids[4:7] and down.complete
    assert (await service.newer_messages(ids[6])).messages == []


async def test_pages_leave_gaps_in_ids_alone(store: MessageStore) -> None:
    """Ids need not be contiguous (deleted messages, a sequence's cache): paging is by order."""
    service, ids = await posted(store, 2)
    far = await store.add("bob", "much later")
    assert far.id is not None
    page = await service.older_messages(far.id)
    assert [m.id for m in page.messages] == ids and page.complete


async def test_pages_are_counted_by_direction() -> None:
    fake, metrics = FakeMessageStore(), RecordingMetrics()
    service = ChatService(
        cast(MessageStore, fake), LocalBus(), history_limit=2, rate_limit=0, metrics=metrics
    )
    for n in range(5):
        await service.post_message("ann", f"message {n}")
    older = await service.older_messages(5)
    newer = await service.newer_messages(4)
    assert [m.id for m in older.messages] == [3, 4] and not older.complete
    assert [m.id for m in newer.messages] == [5] and newer.complete
    assert metrics.calls[-2:] == [("paged", "older", "2"), ("paged", "newer", "1")]

"""Deleting messages in the store: tombstones, every read path without them, retention with a fake clock,
and the deletion watch that finds deletions made by another process. Here on SQLite;
tests/process/store/test_on_postgres.py runs these on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.chat.bus import LocalBus
from app.chat.events import ChatMessage, Event, MessagesDeleted
from app.chat.moderation import DeletionWatch, Retention, delete_message
from app.chat.service import ChatService
from app.store.messages import MessageStore
from app.store.models import Message

SEND_ID = "0b5e7c1e-7d0f-4a55-9b7a-2f1d3c4e5a6b"


class CountingMetrics:
    def __init__(self) -> None:
        self.deleted: list[tuple[int, str]] = []

    def messages_deleted(self, count: int, reason: str) -> None:
        self.deleted.append((count, reason))


def service_on(store: MessageStore, history: int = 20) -> tuple[ChatService, list[Event]]:
    bus = LocalBus()
    published: list[Event] = []
    bus.subscribe(published.append)
    return ChatService(store, bus, history_limit=history, rate_limit=0), published


async def row(store: MessageStore, message_id: int) -> Message:
    async with store._sessions() as session:
        return (await session.execute(select(Message).where(Message.id == message_id))).scalar_one()  # type: ignore[arg-type]


async def test_a_deleted_message_is_a_tombstone_that_no_read_shows(store: MessageStore) -> None:
    service, _ = service_on(store, history=10)
    posted = [await service.post_message("ann", f"m{i}") for i in range(5)]
    metrics = CountingMetrics()
    assert await delete_message(store, posted[2].id, "abuse", metrics) == "deleted"
    assert metrics.deleted == [(1, "operator")]

    tombstone = await row(store, posted[2].id)
    assert tombstone.text == "" and tombstone.deleted_reason == "abuse" and tombstone.deleted_at is not None
    assert tombstone.author == "ann"
    visible = ["m0", "m1", "m3", "m4"]
    assert [m.text for m in await store.recent(10)] == visible
    assert [m.text for m in await service.messages_after(posted[0].id, 10)] == ["m1", "m3", "m4"]
    assert [m.text for m in await service.resume_from(posted[3].id, 10)] == visible
    assert [m.text for m in await store.up_to(posted[2].id, 10)] == ["m0", "m1"]
    assert [m.text for m in await store.following(posted[1].id, 10)] == ["m3", "m4"]
    assert [m.text for m in await store.listing(author=None, since=None, limit=10)] == visible


async def test_deleting_twice_and_unknown_ids(store: MessageStore) -> None:
    message = await store.add("ann", "once")
    assert message.id is not None
    metrics = CountingMetrics()
    assert await delete_message(store, message.id, None, metrics) == "deleted"
    first = await row(store, message.id)
    assert await delete_message(store, message.id, "again", metrics) == "already deleted"
    again = await row(store, message.id)
    assert (again.deleted_at, again.deleted_reason) == (first.deleted_at, None)  # the first delete stands
    assert await delete_message(store, message.id + 1000, None, metrics) == "unknown"
    assert metrics.deleted == [(1, "operator")]


async def test_a_long_reason_is_cut_to_the_column(store: MessageStore) -> None:
    message = await store.add("ann", "hello")
    assert message.id is not None
    assert await store.delete(message.id, "é" * 500) == "deleted"
    assert (await row(store, message.id)).deleted_reason == "é" * 200


async def test_the_shared_history_forgets_a_deleted_message(store: MessageStore) -> None:
    service, _ = service_on(store)
    posted = [await service.post_message("ann", f"m{i}") for i in range(3)]
    assert len(await service.recent_messages()) == 3  # cached now
    await store.delete(posted[1].id, None)
    service.bus.publish(MessagesDeleted((posted[1].id,)))
    assert [m.text for m in await service.recent_messages()] == ["m0", "m2"]
    assert service.recent_deletions() == MessagesDeleted((posted[1].id,), 0)


async def test_a_retried_send_of_a_deleted_message_is_not_stored_again(store: MessageStore) -> None:
    """The tombstone keeps the send id: the tab's retry is answered as stored, nothing comes back."""
    service, published = service_on(store)
    first = await service.post_message("ann", "abusive", SEND_ID)
    await store.delete(first.id, "abuse")
    again = await service.post_message("ann", "abusive", SEND_ID)
    assert again.id == first.id and again.text == ""
    assert await service.stored_sends([SEND_ID]) == {SEND_ID: first.id}
    assert [e for e in published if isinstance(e, ChatMessage)] == [first]
    assert await store.recent(10) == []


async def test_list_by_author_since_and_limit(store: MessageStore) -> None:
    old = datetime(2026, 1, 1, tzinfo=UTC)
    async with store._sessions() as session:
        session.add(Message(author="ann", text="old", created_at=old))
        await session.commit()
    for i in range(4):
        await store.add("ann" if i % 2 == 0 else "Ann", f"new {i}")
    rows = await store.listing(author="ann", since=None, limit=10)
    assert [m.text for m in rows] == ["old", "new 0", "new 2"]
    since = await store.listing(author="ann", since=old + timedelta(days=1), limit=10)
    assert [m.text for m in since] == ["new 0", "new 2"]
    assert [m.text for m in await store.listing(author=None, since=None, limit=2)] == ["new 2", "new 3"]


async def test_retention_with_a_fake_clock(store: MessageStore) -> None:
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    async with store._sessions() as session:
        for day in range(5):
            session.add(Message(author="ann", text=f"day {day}", created_at=start + timedelta(days=day)))
        await session.commit()
    tombstone = (await store.listing(author=None, since=None, limit=10))[0]
    assert tombstone.id is not None
    await store.delete(tombstone.id, "abuse")  # day 0 is a tombstone already: removed, not counted
    bus = LocalBus()
    published: list[Event] = []
    bus.subscribe(published.append)
    now = [start + timedelta(days=3, hours=1)]
    metrics = CountingMetrics()
    retention = Retention(store, bus, 2, metrics, now=lambda: now[0])

    assert await retention.run_once() == 1  # day 1 is older than 2 days; day 0 was a tombstone
    assert [m.text for m in await store.recent(10)] == ["day 2", "day 3", "day 4"]
    assert metrics.deleted == [(1, "retention")]
    assert published == [MessagesDeleted((), tombstone.id + 1)]
    assert await retention.run_once() == 0  # idempotent: another instance's run finds nothing
    now[0] += timedelta(days=1)  # a day later day 2 is older than 2 days
    assert await retention.run_once() == 1
    assert [m.text for m in await store.recent(10)] == ["day 3", "day 4"]
    assert len(metrics.deleted) == 2


async def test_retention_on_an_empty_table(store: MessageStore) -> None:
    retention = Retention(store, LocalBus(), 1)
    assert await retention.run_once() == 0


async def test_the_watch_finds_deletions_made_by_another_process(store: MessageStore) -> None:
    """Another process (the CLI) deletes: this process's watch publishes it once, on its next look."""
    bus = LocalBus()
    published: list[Event] = []
    bus.subscribe(published.append)
    posted = [await store.add("ann", f"m{i}") for i in range(4)]
    ids = [m.id for m in posted]
    assert None not in ids
    await store.delete(posted[0].id or 0, "before the server started")
    watch = DeletionWatch(store, bus)
    assert await watch.check() == ()  # the first look only notes what exists: pages render without it
    assert await watch.check() == ()
    await store.delete(posted[1].id or 0, None)
    await store.delete(posted[2].id or 0, None)
    assert await watch.check() == (ids[1], ids[2])
    assert await watch.check() == ()
    bus.publish(MessagesDeleted((ids[3],)))  # a deletion that came on the bus (PostgreSQL) ...
    await store.delete(posted[3].id or 0, None)
    assert await watch.check() == ()  # ... is not published a second time
    assert published == [
        MessagesDeleted((ids[1], ids[2])),
        MessagesDeleted((ids[3],)),
    ]


async def test_the_watch_finds_a_deletion_committed_late_with_an_earlier_time(store: MessageStore) -> None:
    bus = LocalBus()
    watch = DeletionWatch(store, bus)
    first, second = await store.add("ann", "one"), await store.add("ann", "two")
    assert first.id is not None and second.id is not None
    await watch.check()
    now = datetime.now(UTC)
    await store.delete(second.id, None, now)
    assert await watch.check() == (second.id,)
    await store.delete(first.id, None, now - timedelta(seconds=5))  # timed earlier, committed later
    assert await watch.check() == (first.id,)

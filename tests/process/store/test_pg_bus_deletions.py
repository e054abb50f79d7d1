"""Deletions on the PostgreSQL bus: notified in the deleting transaction, delivered to subscribers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from app.chat.events import ChatMessage, Event, MessagesDeleted
from app.chat.moderation import Retention
from app.chat.pg_bus import PgBus
from app.store.messages import MessageStore
from tests.process.store.test_pg_bus import listening_bus
from tests.support.wait import until


@pytest.fixture
async def bus_store_events() -> AsyncIterator[tuple[PgBus, MessageStore, list[Event]]]:
    events: list[Event] = []
    async with listening_bus(events.append) as (bus, store):
        store.notify_deletions = True
        yield bus, store, events


async def test_a_delete_from_another_process_reaches_the_subscribers(
    bus_store_events: tuple[PgBus, MessageStore, list[Event]],
) -> None:
    _bus, store, events = bus_store_events
    message = await store.add("ann", "to be deleted")
    await until(lambda: any(isinstance(e, ChatMessage) for e in events))
    cli = MessageStore(store.engine)  # what `python -m app delete-message` builds
    cli.notify_deletions = True
    assert message.id is not None
    assert await cli.delete(message.id, "abuse") == "deleted"
    await until(lambda: MessagesDeleted((message.id,)) in events)
    assert await cli.delete(message.id, "abuse") == "already deleted"
    await asyncio.sleep(0.2)  # nothing more is notified for a second delete
    assert events.count(MessagesDeleted((message.id,))) == 1


async def test_retention_is_notified_as_every_id_through(
    bus_store_events: tuple[PgBus, MessageStore, list[Event]],
) -> None:
    bus, store, events = bus_store_events
    rows = [await store.add("ann", f"m{i}") for i in range(3)]
    retention = Retention(
        store,
        bus,
        1,
        now=lambda: rows[1].created_at + timedelta(days=1, microseconds=1),
    )
    assert await retention.run_once() == 2
    through = rows[1].id
    assert through is not None
    await until(lambda: events.count(MessagesDeleted((), through)) == 2)  # its own publish and the listener's


async def test_a_notification_of_the_wrong_shape_is_ignored(
    bus_store_events: tuple[PgBus, MessageStore, list[Event]],
) -> None:
    bus, store, events = bus_store_events
    assert bus.connection is not None
    async with store.engine.connect() as connection:
        for payload in ('{"deleted": 5}', '{"deleted": ["x"]}', '{"deleted": [1], "through": "y"}'):
            await connection.execute(text("SELECT pg_notify('chat_events', :p)"), {"p": payload})
        await connection.commit()
    message = await store.add("ann", "still works")
    await until(lambda: any(isinstance(e, ChatMessage) and e.id == message.id for e in events))
    assert not any(isinstance(e, MessagesDeleted) for e in events)

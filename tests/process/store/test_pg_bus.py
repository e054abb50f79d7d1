"""The PostgreSQL bus in one process, on a real database: order, holes, big messages, the health flag."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import text

from app.chat.events import ChatMessage, Event, Typing
from app.chat.pg_bus import PgBus, message_payload
from app.store.messages import MessageStore
from app.store.models import Message
from app.store.notify import CHANNEL, NOTIFY
from app.telemetry.propagation import TracePropagation
from app.web.health import health
from tests.support.databases import postgres_store
from tests.support.wait import until


@pytest.fixture
async def bus_and_store() -> AsyncIterator[tuple[PgBus, MessageStore, list[ChatMessage]]]:
    received: list[ChatMessage] = []

    def on_event(event: Event) -> None:
        if isinstance(event, ChatMessage):
            received.append(event)

    async with listening_bus(on_event, tracing=TracePropagation()) as (bus, store):
        yield bus, store, received


@asynccontextmanager
async def listening_bus(
    subscriber: Callable[[Event], None], **options: Any
) -> AsyncIterator[tuple[PgBus, MessageStore]]:
    """A PgBus with `subscriber`, listening on a new migrated PostgreSQL database, and the store that
    announces its messages through it."""
    async with postgres_store() as (url, store):
        bus = PgBus(store, url, **options)
        store.announce = bus.payload
        bus.subscribe(subscriber)
        bus.start()
        await until(lambda: bus.listening)
        try:
            yield bus, store
        finally:
            await bus.stop()


def test_payload_carries_the_message_when_it_fits() -> None:
    row = Message(id=7, author="ann", text="hi")
    assert json.loads(message_payload(row))["text"] == "hi"
    big = Message(id=8, author="ann", text="😀" * 1000)  # 4000 bytes of UTF-8
    assert json.loads(message_payload(big)) == {"id": 8}


async def test_messages_arrive_once_in_id_order(
    bus_and_store: tuple[PgBus, MessageStore, list[ChatMessage]],
) -> None:
    _bus, store, received = bus_and_store
    await asyncio.gather(*(store.add("ann", f"message {n}") for n in range(50)))
    await until(lambda: len(received) == 50)
    ids = [message.id for message in received]
    assert ids == sorted(ids) and len(set(ids)) == 50


async def test_holes_and_big_messages_are_read_from_the_table(
    bus_and_store: tuple[PgBus, MessageStore, list[ChatMessage]],
) -> None:
    _bus, store, received = bus_and_store
    await store.add_once("ann", "first", "00000000-0000-4000-8000-000000000001")
    await store.add_once("ann", "again", "00000000-0000-4000-8000-000000000001")  # refused: a hole in ids
    await store.add("ann", "😀" * 1000)  # notified by id only
    await store.add("ann", "last")
    await until(lambda: len(received) == 3)
    assert [m.text for m in received] == ["first", "😀" * 1000, "last"]


async def test_a_published_message_is_left_to_the_listener(
    bus_and_store: tuple[PgBus, MessageStore, list[ChatMessage]],
) -> None:
    bus, store, received = bus_and_store
    row = await store.add("ann", "stored")
    assert row.id is not None
    bus.publish(ChatMessage(row.id, row.author, row.text, row.created_at))  # what ChatService does
    await store.add("ann", "after")  # delivered after any second copy of the first would have been
    await until(lambda: len(received) >= 2)
    assert [m.text for m in received] == ["stored", "after"]


async def test_health_reports_the_bus(bus_and_store: tuple[PgBus, MessageStore, list[ChatMessage]]) -> None:
    bus, store, _received = bus_and_store
    response = await health(store, bus)
    assert response.status_code == 200
    assert json.loads(bytes(response.body)) == {"status": "ok", "database": "ok", "schema": "ok", "bus": "ok"}


async def test_delivery_runs_in_the_senders_trace(
    bus_and_store: tuple[PgBus, MessageStore, list[ChatMessage]],
) -> None:
    """So the receiving instance's broadcast span links to the sender's trace."""
    bus, store, _received = bus_and_store
    seen: list[int] = []
    bus.subscribe(lambda _event: seen.append(trace.get_current_span().get_span_context().trace_id))
    with TracerProvider().get_tracer("test").start_as_current_span("send") as span:
        await store.add("ann", "traced")
    await until(lambda: bool(seen))
    assert seen == [span.get_span_context().trace_id]


async def test_pages_shown_before_the_listener_first_connects_get_what_was_stored_after() -> None:
    """The database was away at start: a page rendered (history up to message 1) before the listener's
    first connection still gets message 2, stored in between; without a page, history is not replayed."""
    async with postgres_store() as (url, store):
        first = await store.add("ann", "in the history")
        shown, silent = PgBus(store, url), PgBus(store, url)
        assert first.id is not None
        shown.history_shown(first.id)
        await store.add("ann", "stored before the listener connected")
        received: dict[str, list[str]] = {"shown": [], "silent": []}
        for key, bus in (("shown", shown), ("silent", silent)):
            bus.subscribe(lambda event, key=key: received[key].append(event.text))  # type: ignore[union-attr]
            bus.start()
        try:
            await until(lambda: shown.listening and silent.listening)
            await until(lambda: received["shown"] == ["stored before the listener connected"])
            assert received["silent"] == []
        finally:
            await shown.stop()
            await silent.stop()


async def test_typing_crosses_instances_as_a_notification_and_writes_no_row() -> None:
    """Two buses on one database (two instances): a typing signal published on one reaches the other's
    subscribers through NOTIFY, the sender's own subscribers once (not again from its own notification),
    and no table gets a row."""
    async with postgres_store() as (url, store):
        a, b = PgBus(store, url), PgBus(store, url)
        seen: dict[str, list[Typing]] = {"a": [], "b": []}
        for key, bus in (("a", a), ("b", b)):
            bus.subscribe(
                lambda event, key=key: seen[key].append(event) if isinstance(event, Typing) else None
            )
            bus.start()
        try:
            await until(lambda: a.listening and b.listening)
            a.publish(Typing("Ann", "tab-1"))
            a.publish(Typing("Ann", "tab-1", stopped=True))
            await until(lambda: len(seen["b"]) == 2)
            assert seen["b"] == [Typing("Ann", "tab-1"), Typing("Ann", "tab-1", stopped=True)]
            b.publish(Typing("Bob", "tab-2"))  # and back, after which a's own two came back long ago
            await until(lambda: len(seen["a"]) == 3)
            assert seen["a"] == [
                Typing("Ann", "tab-1"),
                Typing("Ann", "tab-1", stopped=True),
                Typing("Bob", "tab-2"),
            ]
            async with store.engine.connect() as connection:
                for table in ("message", "presence"):
                    count = await connection.execute(text(f"SELECT count(*) FROM {table}"))
                    assert count.scalar_one() == 0, table
        finally:
            await a.stop()
            await b.stop()


async def test_typing_notifications_of_a_bad_shape_are_ignored(
    bus_and_store: tuple[PgBus, MessageStore, list[ChatMessage]],
) -> None:
    bus, store, received = bus_and_store
    seen: list[Event] = []
    bus.subscribe(seen.append)
    async with store.engine.begin() as connection:
        for payload in (
            {"typing": "Ann"},
            {"typing": {"name": 1, "tab": "t", "stopped": False}},
            {"typing": {"name": "Ann", "tab": "t", "stopped": "no"}},
            {"typing": {"name": "Ann", "tab": ["t"], "stopped": False}},
            {"typing": {"name": "Ann", "tab": "t", "stopped": False}, "origin": 5},  # fine: another origin
        ):
            await connection.execute(NOTIFY, {"channel": CHANNEL, "payload": json.dumps(payload)})
    await store.add("ann", "after them")
    await until(lambda: len(received) == 1)
    assert [event for event in seen if isinstance(event, Typing)] == [Typing("Ann", "t")]

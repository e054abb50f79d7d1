"""The store and the service, here on SQLite (tests/process/store/test_on_postgres.py runs these on
PostgreSQL)."""

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text as sql_text

from app.chat.bus import LocalBus
from app.chat.events import ChatMessage, Event
from app.chat.rules import RuleViolation
from app.chat.service import ChatService
from app.config import sync_database_url
from app.store.messages import MessageStore


def service_on(store: MessageStore, *, history: int = 20, rate: int = 0) -> tuple[ChatService, list[Event]]:
    bus = LocalBus()
    published: list[Event] = []
    bus.subscribe(published.append)
    return ChatService(store, bus, history_limit=history, rate_limit=rate), published


async def test_post_stores_then_publishes(store: MessageStore, db_url: str) -> None:
    """At the moment the message is published its row is committed: another connection (another
    instance, a tab catching up) can read it. Checked inside the subscriber, when the event arrives."""
    service, published = service_on(store)
    committed_at_publish: list[list[tuple[int, str, str]]] = []
    reader = create_engine(sync_database_url(db_url))

    def check(event: Event) -> None:
        if isinstance(event, ChatMessage):
            with reader.connect() as connection:
                rows = connection.execute(sql_text("SELECT id, author, text FROM message")).all()
            committed_at_publish.append([tuple(row) for row in rows])

    service.bus.subscribe(check)
    try:
        message = await service.post_message(" ann ", "  hello there ")
    finally:
        reader.dispose()
    assert message.author == "ann" and message.text == "hello there"
    assert published == [message]
    assert committed_at_publish == [[(message.id, "ann", "hello there")]]
    assert message.created_at.tzinfo is not None


async def test_history_is_the_newest_in_order(store: MessageStore) -> None:
    service, _ = service_on(store, history=3)
    for i in range(5):
        await service.post_message("ann", f"message {i}")
    history = await service.recent_messages()
    assert [m.text for m in history] == ["message 2", "message 3", "message 4"]
    assert len(await service.recent_messages(10)) == 5


async def test_messages_after_catches_up(store: MessageStore) -> None:
    service, _ = service_on(store)
    posted = [await service.post_message("ann", f"m{i}") for i in range(6)]
    after = await service.messages_after(posted[1].id, limit=3)
    assert [m.text for m in after] == ["m3", "m4", "m5"]
    assert await service.messages_after(posted[-1].id, limit=3) == []


async def test_resume_gives_context_then_what_was_missed(store: MessageStore) -> None:
    service, _ = service_on(store, history=2)
    posted = [await service.post_message("ann", f"m{i}") for i in range(8)]
    resumed = await service.resume_from(posted[3].id, limit=10)
    assert [m.text for m in resumed] == ["m2", "m3", "m4", "m5", "m6", "m7"]
    assert [m.text for m in await service.resume_from(posted[3].id, limit=3)] == ["m5", "m6", "m7"]


@pytest.mark.parametrize(
    ("author", "text", "field", "reason"),
    [
        ("ann", "x", "message", "too_short"),
        ("ann", "   ", "message", "too_short"),
        ("ann", "y" * 1001, "message", "too_long"),
        ("", "hello", "name", "required"),
        ("n" * 41, "hello", "name", "too_long"),
    ],
)
async def test_invalid_input_is_neither_stored_nor_published(
    store: MessageStore, author: str, text: str, field: str, reason: str
) -> None:
    service, published = service_on(store)
    with pytest.raises(RuleViolation) as caught:
        await service.post_message(author, text)
    assert (caught.value.field, caught.value.reason) == (field, reason)
    assert published == []
    assert await store.recent(10) == []


async def test_unicode_round_trips(store: MessageStore) -> None:
    service, _ = service_on(store)
    text = "<b>x</b> 😀 " + "é" * 900
    message = await service.post_message("Zoë 🚀", text)
    [stored] = await service.recent_messages()
    assert stored == ChatMessage(message.id, "Zoë 🚀", text.strip(), stored.created_at)


async def test_ping(store: MessageStore) -> None:
    await store.ping()


SEND_ID = "0b5e7c1e-7d0f-4a55-9b7a-2f1d3c4e5a6b"


async def test_same_send_id_twice_stores_one_row_and_answers_the_same(store: MessageStore) -> None:
    first, created = await store.add_once("ann", "hello", SEND_ID)
    again, created_again = await store.add_once("ann", "hello", SEND_ID)
    assert (created, created_again) == (True, False)
    assert again.id == first.id and again.text == "hello"
    assert [m.id for m in await store.recent(10)] == [first.id]


async def test_racing_sends_with_one_id_store_one_row(store: MessageStore) -> None:
    import asyncio

    results = await asyncio.gather(*(store.add_once("ann", "race", SEND_ID) for _ in range(5)))
    assert sorted(created for _, created in results) == [False, False, False, False, True]
    assert len({message.id for message, _ in results}) == 1
    assert len(await store.recent(10)) == 1


async def test_messages_without_a_send_id_are_not_deduplicated(store: MessageStore) -> None:
    await store.add("ann", "same")
    await store.add("ann", "same")
    assert len(await store.recent(10)) == 2


async def test_repeated_send_publishes_once_and_returns_the_stored_message(store: MessageStore) -> None:
    service, published = service_on(store)
    first = await service.post_message("ann", "only once", SEND_ID)
    again = await service.post_message("ann", "only once", SEND_ID)
    assert again == first
    assert published == [first]
    assert await service.stored_sends([SEND_ID, "11111111-2222-4333-8444-555555555555"]) == {
        SEND_ID: first.id
    }
    assert await service.stored_sends([]) == {}

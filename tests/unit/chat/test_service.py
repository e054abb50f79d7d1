"""ChatService against an in-memory store: every branch of validate → store → publish, and what it counts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy.exc import DBAPIError

from app.chat import service as service_module
from app.chat.bus import LocalBus
from app.chat.events import ChatMessage
from app.chat.flood import Sender
from app.chat.rules import MESSAGE_TOO_SHORT, NAME_REQUIRED, RuleViolation
from app.chat.service import ChatService, to_event
from app.store.messages import MessageStore
from app.store.models import Message
from tests.support.fakes import FakeMessageStore, Recorder, RecordingMetrics

SEND = "0b5e7c1e-7d0f-4a55-9b7a-2f1d3c4e5a6b"
OTHER = "11111111-2222-4333-8444-555555555555"
ANN = Sender("session-ann", "tab-ann")


def make(
    *, history: int = 3, rate: int = 0, naive: bool = False
) -> tuple[ChatService, FakeMessageStore, Recorder, RecordingMetrics]:
    store, bus, recorder, metrics = FakeMessageStore(naive=naive), LocalBus(), Recorder(), RecordingMetrics()
    bus.subscribe(recorder)
    service = ChatService(
        cast(MessageStore, store), bus, history_limit=history, rate_limit=rate, metrics=metrics
    )
    return service, store, recorder, metrics


def test_the_service_keeps_what_it_was_given() -> None:
    service, store, _, _ = make(history=7)
    assert service.store is cast(Any, store)
    assert service.history_limit == 7


def test_check_name_and_message_return_the_cleaned_value_and_count_nothing() -> None:
    service, _, _, metrics = make()
    assert service.check_name("  Ann  ") == "Ann"
    assert service.check_message("  hi there ") == "hi there"
    assert metrics.calls == []


@pytest.mark.parametrize(
    ("check", "value", "expected"),
    [
        ("check_name", "", ("failed", "name", "required")),
        ("check_name", "Ann\u200b", ("failed", "name", "bad_character")),
        ("check_message", "x", ("failed", "message", "too_short")),
        ("check_message", "x" * 1001, ("failed", "message", "too_long")),
    ],
)
def test_a_bad_value_is_refused_and_counted(check: str, value: str, expected: tuple[str, ...]) -> None:
    service, _, _, metrics = make()
    with pytest.raises(RuleViolation) as caught:
        getattr(service, check)(value)
    assert (caught.value.field, caught.value.reason) == expected[1:]
    assert metrics.calls == [expected]


async def test_post_stores_publishes_and_counts_the_cleaned_message() -> None:
    service, store, recorder, metrics = make()
    message = await service.post_message(" Ann ", "  hello  ")
    assert message == ChatMessage(1, "Ann", "hello", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert store.calls == ["add"]
    assert recorder.events == [message]
    assert metrics.calls == [("sent", "5")]


async def test_post_with_a_send_id_stores_once_and_publishes_once() -> None:
    service, store, recorder, metrics = make()
    first = await service.post_message(" Ann ", " hello ", SEND)
    again = await service.post_message("Ann", "hello", SEND)
    assert again == first
    assert (first.author, first.text) == ("Ann", "hello")
    assert (store.rows[0].author, store.rows[0].text) == ("Ann", "hello")
    assert store.calls == ["add_once", "add_once"]
    assert [row.client_msg_id for row in store.rows] == [SEND]
    assert recorder.events == [first]
    assert metrics.calls == [("sent", "5")]


@pytest.mark.parametrize(
    ("author", "text", "field", "reason", "shown"),
    [
        ("Ann", "x", "message", "too_short", MESSAGE_TOO_SHORT),
        (None, "hello", "name", "required", NAME_REQUIRED),
        ("Ann", None, "message", "too_short", MESSAGE_TOO_SHORT),
        ("Ann", "nul\x00", "message", "bad_character", None),
    ],
)
async def test_a_bad_post_is_counted_and_neither_stored_nor_published(
    author: str | None, text: str | None, field: str, reason: str, shown: str | None
) -> None:
    service, store, recorder, metrics = make()
    with pytest.raises(RuleViolation) as caught:
        await service.post_message(author, text, SEND)
    assert (caught.value.field, caught.value.reason) == (field, reason)
    if shown is not None:
        assert caught.value.text == shown
    assert store.rows == [] and store.calls == [] and recorder.events == []
    assert metrics.calls == [("failed", field, reason)]


async def test_the_name_is_checked_before_the_message() -> None:
    service, _, _, _ = make()
    with pytest.raises(RuleViolation) as caught:
        await service.post_message("", "x")
    assert caught.value.field == "name"


async def test_the_rate_limit_counts_per_sender_not_per_name() -> None:
    service, store, recorder, metrics = make(rate=2)
    await service.post_message("Ann", "one", sender=ANN)
    await service.post_message("Bea", "two", sender=ANN)
    with pytest.raises(RuleViolation) as caught:
        await service.post_message("Cid", "three", sender=ANN)
    assert (caught.value.field, caught.value.reason) == ("message", "rate_limited")
    assert caught.value.text.startswith("Slow down: wait ")
    assert [row.text for row in store.rows] == ["one", "two"]
    assert len(recorder.events) == 2
    assert metrics.calls[-1] == ("failed", "message", "rate_limited")
    await service.post_message("Ann", "not limited", sender=Sender("session-bob", "tab-bob"))


async def test_a_stored_send_retried_over_the_limit_is_answered_without_counting() -> None:
    service, store, recorder, metrics = make(rate=1)
    first = await service.post_message("Ann", "counted", SEND, sender=ANN)
    assert await service.post_message("Ann", "counted", SEND, sender=ANN) == first
    assert store.calls == ["add_once", "by_client_ids"]
    assert metrics.calls == [("sent", "7")]
    with pytest.raises(RuleViolation):
        await service.post_message("Ann", "new one", OTHER, sender=ANN)
    assert metrics.calls == [("sent", "7"), ("failed", "message", "rate_limited")]
    assert recorder.events == [first]


async def test_a_limited_send_without_an_id_is_refused_without_a_look_up() -> None:
    service, store, _, _ = make(rate=1)
    await service.post_message("Ann", "counted", sender=ANN)
    with pytest.raises(RuleViolation):
        await service.post_message("Ann", "again", sender=ANN)
    assert store.calls == ["add"]


async def test_a_bad_send_with_an_id_is_not_looked_up() -> None:
    service, store, _, _ = make(rate=1)
    await service.post_message("Ann", "counted", SEND, sender=ANN)
    with pytest.raises(RuleViolation):
        await service.post_message("Ann", "x", SEND, sender=ANN)  # too short: refused, whatever the id
    assert store.calls == ["add_once"]


def test_to_event_gives_naive_times_the_utc_zone_and_keeps_aware_ones() -> None:
    naive = Message(id=3, author="a", text="tt", created_at=datetime(2026, 5, 6, 7, 8, 9))
    assert to_event(naive) == ChatMessage(3, "a", "tt", datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC))
    aware = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert to_event(Message(id=4, author="b", text="uu", created_at=aware)).created_at is aware
    with pytest.raises(AssertionError):
        to_event(Message(author="b", text="unsaved"))


async def test_stored_times_read_back_without_a_zone_are_utc() -> None:
    service, _, _, _ = make(naive=True)
    message = await service.post_message("Ann", "hello")
    assert message.created_at.tzinfo is UTC


async def test_stored_sends_maps_send_ids_to_message_ids() -> None:
    service, _, _, _ = make()
    await service.post_message("Ann", "no id")
    first = await service.post_message("Ann", "with id", SEND)
    assert await service.stored_sends([SEND, OTHER]) == {SEND: first.id}
    assert await service.stored_sends([]) == {}


async def test_history_catch_up_and_resume() -> None:
    service, _, _, _ = make(history=2)
    posted = [await service.post_message("Ann", f"m{i}") for i in range(8)]
    assert [m.text for m in await service.recent_messages()] == ["m6", "m7"]
    assert [m.text for m in await service.recent_messages(3)] == ["m5", "m6", "m7"]
    assert [m.text for m in await service.messages_after(posted[4].id, 2)] == ["m6", "m7"]
    resumed = await service.resume_from(posted[3].id, limit=10)
    assert [m.text for m in resumed] == ["m2", "m3", "m4", "m5", "m6", "m7"]
    assert [m.text for m in await service.resume_from(posted[3].id, limit=5)] == [
        "m3",
        "m4",
        "m5",
        "m6",
        "m7",
    ]
    assert [m.text for m in await service.resume_from(posted[3].id, limit=4)] == ["m4", "m5", "m6", "m7"]
    assert all(isinstance(m, ChatMessage) for m in resumed)


async def test_stored_sends_skips_rows_without_a_send_id(monkeypatch: pytest.MonkeyPatch) -> None:
    service, store, _, _ = make()

    async def rows(_ids: object) -> list[Message]:
        return [
            Message(id=1, author="a", text="tt", client_msg_id=None),
            Message(author="a", text="t", client_msg_id=SEND),
        ]

    monkeypatch.setattr(store, "by_client_ids", rows)
    assert await service.stored_sends([SEND]) == {}


def lost_connection() -> DBAPIError:
    return DBAPIError(
        "INSERT INTO message", {}, Exception("server closed the connection"), connection_invalidated=True
    )


class FlakyStore(FakeMessageStore):
    """add_once fails with a lost connection `failures` times; `commit_first` stores the row on the first
    failing try (the commit went through, its answer was lost)."""

    def __init__(self, failures: int, *, commit_first: bool = False, error: Exception | None = None) -> None:
        super().__init__()
        self.failures = failures
        self.commit_first = commit_first
        self.error = error

    async def add_once(self, author: str, text: str, client_msg_id: str) -> tuple[Message, bool]:
        if self.failures > 0:
            self.failures -= 1
            if self.commit_first:
                self.commit_first = False
                await super().add_once(author, text, client_msg_id)
            raise self.error or lost_connection()
        return await super().add_once(author, text, client_msg_id)


def flaky_service(
    store: FlakyStore, monkeypatch: pytest.MonkeyPatch
) -> tuple[ChatService, Recorder, RecordingMetrics, list[float]]:
    pauses: list[float] = []

    async def pause(delay: float) -> None:
        pauses.append(delay)

    monkeypatch.setattr(service_module.asyncio, "sleep", pause)
    bus, recorder, metrics = LocalBus(), Recorder(), RecordingMetrics()
    bus.subscribe(recorder)
    service = ChatService(cast(MessageStore, store), bus, history_limit=3, rate_limit=0, metrics=metrics)
    return service, recorder, metrics, pauses


async def test_a_send_whose_connection_died_is_tried_again(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = FlakyStore(failures=1)
    service, recorder, metrics, pauses = flaky_service(store, monkeypatch)
    with caplog.at_level(logging.WARNING, logger="app.chat.service"):
        message = await service.post_message("Ann", "hello", SEND)
    assert pauses == [0.1]
    assert recorder.events == [message] and metrics.calls == [("sent", "5")]
    assert [row.text for row in store.rows] == ["hello"]
    assert [r.getMessage() for r in caplog.records] == [
        f"storing a message lost its database connection ({lost_connection()}); retrying in 0.1 s"
    ]


async def test_a_retry_that_finds_the_row_its_lost_try_committed_publishes_it_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = FlakyStore(failures=1, commit_first=True)
    service, recorder, metrics, _ = flaky_service(store, monkeypatch)
    message = await service.post_message("Ann", "hello", SEND)
    assert len(store.rows) == 1
    assert recorder.events == [message] and metrics.calls == [("sent", "5")]


async def test_every_retry_then_one_last_try(monkeypatch: pytest.MonkeyPatch) -> None:
    store = FlakyStore(failures=3, commit_first=True)
    service, recorder, _, pauses = flaky_service(store, monkeypatch)
    message = await service.post_message("Ann", "hello", SEND)
    assert pauses == list(service_module.RETRY_DELAYS) == [0.1, 0.5, 1.5]
    assert recorder.events == [message]


async def test_a_send_that_keeps_failing_raises_the_last_error(monkeypatch: pytest.MonkeyPatch) -> None:
    store = FlakyStore(failures=4)
    service, recorder, metrics, pauses = flaky_service(store, monkeypatch)
    with pytest.raises(DBAPIError):
        await service.post_message("Ann", "hello", SEND)
    assert pauses == [0.1, 0.5, 1.5] and store.failures == 0
    assert recorder.events == [] and metrics.calls == []


async def test_other_errors_are_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    store = FlakyStore(failures=1, error=ValueError("no"))
    service, recorder, _, pauses = flaky_service(store, monkeypatch)
    with pytest.raises(ValueError):
        await service.post_message("Ann", "hello", SEND)
    assert pauses == [] and recorder.events == []


async def test_the_last_try_stores_the_send_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    store = FlakyStore(failures=3)
    service, recorder, _, _ = flaky_service(store, monkeypatch)
    message = await service.post_message(" Ann ", " hello ", SEND)
    assert [(row.author, row.text, row.client_msg_id) for row in store.rows] == [("Ann", "hello", SEND)]
    assert recorder.events == [message]


class HistoryBus(LocalBus):
    def __init__(self) -> None:
        super().__init__()
        self.shown: list[int] = []

    def history_shown(self, last_id: int) -> None:
        self.shown.append(last_id)


async def test_the_bus_is_told_where_the_history_a_page_shows_ends() -> None:
    store, bus = FakeMessageStore(), HistoryBus()
    service = ChatService(cast(MessageStore, store), bus, history_limit=2, rate_limit=0)
    assert await service.recent_messages() == []
    for n in range(3):
        await service.post_message("Ann", f"m{n}")
    assert [m.id for m in await service.recent_messages()] == [2, 3]
    assert bus.shown == [0, 3]

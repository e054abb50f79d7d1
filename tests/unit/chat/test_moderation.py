"""The moderation domain against an in-memory store (fast enough for every mutant): an operator's delete,
retention's cut-off and its announcement, the deletion watch's bookkeeping, and the periodic runner."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from app.chat.bus import LocalBus
from app.chat.events import ChatMessage, MessagesDeleted
from app.chat.moderation import WATCH_OVERLAP, DeletionWatch, Retention, delete_message, every
from app.store.messages import DeleteOutcome, Deletion
from tests.support.fakes import Recorder

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)


class FakeDeletions:
    """The part of MessageStore that moderation uses: ids with their time, and tombstones."""

    def __init__(self) -> None:
        self.created: dict[int, datetime] = {}
        self.tombstones: dict[int, datetime] = {}
        self.calls: list[tuple[str, object]] = []

    async def delete(self, message_id: int, reason: str | None, now: datetime | None = None) -> DeleteOutcome:
        self.calls.append(("delete", (message_id, reason)))
        if message_id not in self.created:
            return "unknown"
        if message_id in self.tombstones:
            return "already deleted"
        self.tombstones[message_id] = now or T0
        return "deleted"

    async def newest_before(self, cutoff: datetime) -> int | None:
        self.calls.append(("newest_before", cutoff))
        older = [i for i, at in self.created.items() if at < cutoff]
        return max(older) if older else None

    async def delete_through(self, message_id: int) -> int:
        self.calls.append(("delete_through", message_id))
        gone = [i for i in self.created if i <= message_id]
        shown = sum(1 for i in gone if i not in self.tombstones)
        for i in gone:
            self.created.pop(i)
            self.tombstones.pop(i, None)
        return shown

    async def deleted_since(self, since: datetime | None) -> list[Deletion]:
        self.calls.append(("deleted_since", since))
        found = [Deletion(i, at) for i, at in self.tombstones.items() if since is None or at >= since]
        return sorted(found, key=lambda d: d.deleted_at)

    async def last_deleted_at(self) -> datetime | None:
        return max(self.tombstones.values(), default=None)


class Counts:
    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []

    def messages_deleted(self, count: int, reason: str) -> None:
        self.calls.append((count, reason))


def store_with(count: int, step: timedelta = timedelta(days=1)) -> FakeDeletions:
    store = FakeDeletions()
    for i in range(1, count + 1):
        store.created[i] = T0 + (i - 1) * step
    return store


@pytest.mark.parametrize(
    ("message_id", "outcome", "counted"),
    [(1, "deleted", [(1, "operator")]), (2, "already deleted", []), (9, "unknown", [])],
)
async def test_delete_message_counts_only_a_real_delete(
    message_id: int, outcome: str, counted: list[tuple[int, str]]
) -> None:
    store = store_with(2)
    store.tombstones[2] = T0
    counts = Counts()
    assert await delete_message(store, message_id, "why", counts) == outcome  # type: ignore[arg-type]
    assert counts.calls == counted
    assert store.calls == [("delete", (message_id, "why"))]


async def test_delete_message_without_metrics() -> None:
    assert await delete_message(store_with(1), 1, None) == "deleted"  # type: ignore[arg-type]


async def test_retention_cuts_at_now_minus_the_days_and_announces_the_id() -> None:
    store = store_with(5)  # ids 1..5, a day apart from T0
    store.tombstones[1] = T0
    bus, seen, counts = LocalBus(), Recorder(), Counts()
    bus.subscribe(seen)
    now = T0 + timedelta(days=4)  # cut-off T0 + 1 day: id 2 is at it, not before it
    retention = Retention(store, bus, 3, counts, now=lambda: now)  # type: ignore[arg-type]
    assert retention.days == 3
    assert await retention.run_once() == 0  # only id 1, a tombstone: removed, not counted
    assert store.calls == [("newest_before", T0 + timedelta(days=1)), ("delete_through", 1)]
    assert counts.calls == []
    assert seen.events == [MessagesDeleted((), 1)]

    now += timedelta(microseconds=1)
    assert await retention.run_once() == 1
    assert counts.calls == [(1, "retention")]
    assert seen.events[-1] == MessagesDeleted((), 2)
    assert sorted(store.created) == [3, 4, 5]


async def test_retention_with_nothing_old_deletes_and_announces_nothing() -> None:
    store = store_with(2)
    bus, seen = LocalBus(), Recorder()
    bus.subscribe(seen)
    retention = Retention(store, bus, 30, now=lambda: T0 + timedelta(days=30))  # type: ignore[arg-type]
    assert await retention.run_once() == 0
    assert [name for name, _ in store.calls] == ["newest_before"]
    assert seen.events == []
    assert await Retention(store, bus, 1, now=lambda: T0 + timedelta(days=3)).run_once() == 2  # type: ignore[arg-type]


async def test_the_watch_publishes_new_tombstones_once() -> None:
    store = store_with(6, timedelta(seconds=1))
    store.tombstones[1] = T0 + timedelta(minutes=1)
    bus, seen = LocalBus(), Recorder()
    bus.subscribe(seen)
    watch = DeletionWatch(store, bus)  # type: ignore[arg-type]
    assert await watch.check() == ()  # primed from the newest tombstone, minus the overlap
    assert store.calls == [("deleted_since", T0 + timedelta(minutes=1) - WATCH_OVERLAP)]
    store.tombstones[3] = T0 + timedelta(minutes=3)
    store.tombstones[2] = T0 + timedelta(minutes=2)
    assert await watch.check() == (2, 3)  # in the order of their times
    assert store.calls[-1] == ("deleted_since", T0 + timedelta(minutes=1) - WATCH_OVERLAP)
    assert await watch.check() == ()
    assert store.calls[-1] == ("deleted_since", T0 + timedelta(minutes=3) - WATCH_OVERLAP)
    assert seen.events == [MessagesDeleted((2, 3))]


async def test_the_watch_starts_empty_and_forgets_what_is_older_than_the_overlap() -> None:
    store = store_with(4)
    bus, seen = LocalBus(), Recorder()
    bus.subscribe(seen)
    watch = DeletionWatch(store, bus, overlap=timedelta(seconds=10))  # type: ignore[arg-type]
    assert await watch.check() == ()
    assert store.calls == [("deleted_since", None)]
    store.tombstones[1] = T0
    assert await watch.check() == (1,)
    store.tombstones[2] = T0 + timedelta(seconds=10)  # 1 is exactly at the overlap's edge: still known
    assert await watch.check() == (2,)
    store.tombstones[3] = T0 + timedelta(seconds=25)  # now 1 and 2 are older than it
    assert await watch.check() == (3,)
    assert watch._seen == {3: T0 + timedelta(seconds=25)}
    store.tombstones[4] = T0 + timedelta(seconds=20)  # timed earlier, committed later: within the overlap
    assert await watch.check() == (4,)
    assert [e for e in seen.events if isinstance(e, MessagesDeleted)] == [
        MessagesDeleted((1,)),
        MessagesDeleted((2,)),
        MessagesDeleted((3,)),
        MessagesDeleted((4,)),
    ]


async def test_the_watch_does_not_repeat_what_came_on_the_bus() -> None:
    store = store_with(3)
    bus, seen = LocalBus(), Recorder()
    bus.subscribe(seen)
    watch = DeletionWatch(store, bus)  # type: ignore[arg-type]
    await watch.check()
    bus.publish(MessagesDeleted((2,)))  # the PostgreSQL listener heard the CLI first
    bus.publish(ChatMessage(3, "ann", "not a deletion", T0))
    store.tombstones[2] = T0
    store.tombstones[3] = T0
    assert await watch.check() == (3,)
    assert seen.events[-1] == MessagesDeleted((3,))
    bus.publish(MessagesDeleted((9,)))  # heard of, never a tombstone here: kept with a time, then forgotten
    store.tombstones[4] = T0 + WATCH_OVERLAP * 2
    assert await watch.check() == (4,)
    assert watch._seen == {4: T0 + WATCH_OVERLAP * 2}


async def test_every_runs_at_once_by_default() -> None:
    order: list[str] = []

    async def job() -> None:
        order.append("run")

    async def sleep(seconds: float) -> None:
        order.append("sleep")
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await every(1.0, job, "a job", sleep)
    assert order == ["run", "sleep"]


async def test_every_waits_first_when_asked_and_logs_each_failing_streak_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outcomes = iter([RuntimeError("one"), RuntimeError("two"), None, RuntimeError("three")])
    order: list[str] = []

    async def job() -> None:
        order.append("run")
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    async def sleep(seconds: float) -> None:
        order.append(f"sleep {seconds}")
        if order.count("run") == 4:
            raise asyncio.CancelledError  # as at shutdown

    with caplog.at_level(logging.WARNING, "app.chat.moderation"), pytest.raises(asyncio.CancelledError):
        await every(7.0, job, "a job", sleep, first=False)
    assert order == [
        "sleep 7.0",
        "run",
        "sleep 7.0",
        "run",
        "sleep 7.0",
        "run",
        "sleep 7.0",
        "run",
        "sleep 7.0",
    ]
    assert [r.getMessage() for r in caplog.records] == [
        "a job failed (RuntimeError('one')); trying again in 7 s",
        "a job failed (RuntimeError('three')); trying again in 7 s",
    ]


async def test_the_service_remembers_recent_deletions_and_drops_its_shared_history() -> None:
    from app.chat import service as service_module
    from app.chat.service import ChatService
    from tests.support.fakes import FakeMessageStore

    store = FakeMessageStore()
    now = [0.0]
    service = ChatService(store, LocalBus(), history_limit=5, rate_limit=0, clock=lambda: now[0])  # type: ignore[arg-type]
    assert service.recent_deletions() == MessagesDeleted((), 0)
    await store.add("ann", "one")
    assert len(await service.recent_messages()) == 1  # the shared copy, for a second
    store.rows.clear()  # deleted behind its back ...
    service.bus.publish(MessagesDeleted((1,)))  # ... and announced: the copy is dropped at once
    assert await service.recent_messages() == []
    service.bus.publish(MessagesDeleted((), 40))
    service.bus.publish(MessagesDeleted((7, 8), 30))  # an older retention's id does not lower it
    assert service.recent_deletions() == MessagesDeleted((1, 7, 8), 40)
    service.bus.publish(MessagesDeleted(tuple(range(100, 100 + service_module.RECENT_DELETIONS))))
    remembered = service.recent_deletions().ids
    assert len(remembered) == service_module.RECENT_DELETIONS == 1000 and remembered[0] == 100

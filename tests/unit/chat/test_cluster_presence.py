"""ClusterPresence's logic against an in-memory presence table and bus: what it writes, when it re-reads,
what it publishes, how it survives a database that fails."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import cast

import pytest

from app.chat import cluster_presence
from app.chat.bus import LocalBus
from app.chat.cluster_presence import ClusterPresence, instance_id
from app.chat.events import Event, PresenceChanged
from app.chat.pg_bus import PgBus
from app.store.presence import PresenceStore
from tests.support.fakes import RecordingMetrics
from tests.support.wait import until


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


class FakeBus(LocalBus):
    def __init__(self) -> None:
        super().__init__()
        self.presence_callbacks: list[Callable[[], None]] = []

    def on_presence(self, callback: Callable[[], None]) -> None:
        self.presence_callbacks.append(callback)

    def notify_presence(self) -> None:
        for callback in self.presence_callbacks:
            callback()


class FakePresenceStore:
    def __init__(self) -> None:
        self.written: list[dict[str, int]] = []
        self.others_names: set[str] = set()
        self.renewed = 0
        self.sweeps = 0
        self.removed: list[str] = []
        self.order: list[str] = []
        self.hold_replace: asyncio.Event | None = None
        self.reads = 0
        self.fail: set[str] = set()
        self.remove_delay = 0.0

    def _maybe_fail(self, what: str) -> None:
        if what in self.fail:
            raise OSError(f"{what} failed")

    async def replace(self, instance: str, tabs: Mapping[str, int]) -> None:
        self._maybe_fail("replace")
        assert instance == "me"
        if self.hold_replace is not None:
            try:
                await self.hold_replace.wait()
            finally:
                await asyncio.sleep(0)
                self.order.append("write ended")
        self.written.append(dict(tabs))

    async def heartbeat(self, instance: str) -> int:
        assert instance == "me"
        self._maybe_fail("heartbeat")
        return self.renewed

    async def sweep(self) -> int:
        self.sweeps += 1
        return 0

    async def remove(self, instance: str) -> None:
        self.order.append("remove")
        await asyncio.sleep(self.remove_delay)
        self._maybe_fail("remove")
        self.removed.append(instance)

    async def others(self, instance: str) -> set[str]:
        self.reads += 1
        self._maybe_fail("others")
        assert instance == "me"
        return set(self.others_names)


@asynccontextmanager
async def started_with_a_failure(
    presence: ClusterPresence, store: FakePresenceStore, failing: str, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[None]:
    """`presence` running while the store's `failing` operation raises, warnings captured; then stopped."""
    store.fail.add(failing)
    with caplog.at_level(logging.WARNING, logger="app.chat.cluster_presence"):
        presence.start()
        try:
            yield
        finally:
            await presence.stop()


def make(
    heartbeat: float = 3600.0,
) -> tuple[ClusterPresence, FakeBus, FakePresenceStore, list[PresenceChanged]]:
    presence, bus, store, seen, _ = make_counted(heartbeat)
    return presence, bus, store, seen


def make_counted(
    heartbeat: float = 3600.0,
) -> tuple[ClusterPresence, FakeBus, FakePresenceStore, list[PresenceChanged], RecordingMetrics]:
    bus, store, metrics = FakeBus(), FakePresenceStore(), RecordingMetrics()
    seen: list[PresenceChanged] = []

    def record(event: Event) -> None:
        if isinstance(event, PresenceChanged):
            seen.append(event)

    bus.subscribe(record)
    presence = ClusterPresence(
        cast(PgBus, bus), cast(PresenceStore, store), "me", metrics, heartbeat_seconds=heartbeat
    )
    return presence, bus, store, seen, metrics


def test_instance_id_is_host_port_and_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one = instance_id(8080, tmp_path)
    assert re.fullmatch(re.escape(socket.gethostname()) + r":8080:[0-9a-f]{12}", one)
    assert instance_id(8080, tmp_path) == one
    assert instance_id(8081, tmp_path).split(":")[-1] == one.split(":")[-1]
    assert instance_id(8080, tmp_path / "other") != one
    monkeypatch.chdir(tmp_path)
    assert instance_id(8080, Path(".")) == one  # resolved: the same folder however it is named


def test_the_default_heartbeat_and_expiry() -> None:
    assert cluster_presence.HEARTBEAT_SECONDS == 5.0
    assert cluster_presence.EXPIRY_SECONDS == 15.0
    presence, *_ = make()
    assert presence.instance == "me"
    assert (
        ClusterPresence(
            cast(PgBus, FakeBus()), cast(PresenceStore, FakePresenceStore()), "x"
        )._heartbeat_seconds
        == 5.0
    )


async def test_names_are_written_when_they_change_and_others_read_on_notification() -> None:
    presence, bus, store, seen = make()
    presence.start()
    try:
        await until(lambda: store.written == [{}])  # a fresh start replaces what an earlier life left
        presence.join("ann")
        presence.join("ann")
        await until(lambda: store.written[-1] == {"ann": 2})  # name → tab count
        assert seen[-1] == PresenceChanged(("ann",), 1)
        assert store.reads == 0  # reads wait for the bus: a notification, or its (re)connect
        store.others_names = {"Bob", "ann"}
        bus.notify_presence()
        await until(lambda: presence.online_users() == ("ann", "Bob"))
        assert seen[-1] == PresenceChanged(("ann", "Bob"), 2)
        assert presence.local_users() == ("ann",)
        store.others_names = {"ann", "Bob"}  # the same again: nothing to publish
        reads = store.reads
        bus.notify_presence()
        await until(lambda: store.reads > reads)
        store.others_names = {"Bob"}  # ann left elsewhere, still here: the list is the same
        reads = store.reads
        bus.notify_presence()
        await until(lambda: store.reads > reads)
        await asyncio.sleep(0)
        assert len(seen) == 2
    finally:
        await presence.stop()
    assert store.removed == ["me"]
    assert [loop.task for loop in presence._loops if loop.task] == []


async def test_a_failing_write_is_retried_after_a_heartbeat(caplog: pytest.LogCaptureFixture) -> None:
    presence, _, store, _ = make(heartbeat=0.05)
    async with started_with_a_failure(presence, store, "replace", caplog):
        presence.join("ann")
        await until(lambda: "writing presence failed: OSError('replace failed')" in messages(caplog))
        store.fail.discard("replace")
        await until(lambda: store.written[-1:] == [{"ann": 1}])


async def test_a_failing_read_is_logged_and_the_next_wake_up_reads_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    presence, bus, store, _ = make()
    async with started_with_a_failure(presence, store, "others", caplog):
        bus.notify_presence()
        await until(lambda: "reading presence failed: OSError('others failed')" in messages(caplog))
        store.fail.discard("others")
        store.others_names = {"bob"}
        bus.notify_presence()
        await until(lambda: presence.online_users() == ("bob",))


async def test_the_heartbeat_renews_sweeps_rewrites_when_swept_and_rereads() -> None:
    presence, _, store, _ = make(heartbeat=0.02)
    presence.join("ann")
    presence.join("bob")
    presence.start()
    try:
        await until(lambda: store.sweeps >= 2 and store.reads >= 2)
        writes = len(store.written)
        store.renewed = 2  # all rows renewed: nothing to write
        sweeps = store.sweeps
        await until(lambda: store.sweeps >= sweeps + 3)
        assert len(store.written) <= writes + 1
        store.renewed = 1  # a row was swept while away: written again
        writes = len(store.written)
        await until(lambda: len(store.written) > writes + 1)
        assert store.written[-1] == {"ann": 1, "bob": 1}
    finally:
        await presence.stop()


async def test_a_failing_heartbeat_is_logged_and_still_rereads(caplog: pytest.LogCaptureFixture) -> None:
    presence, _, store, _ = make(heartbeat=0.02)
    async with started_with_a_failure(presence, store, "heartbeat", caplog):
        reads = store.reads
        await until(lambda: "presence heartbeat failed: OSError('heartbeat failed')" in messages(caplog))
        await until(lambda: store.reads >= reads + 2)
        assert store.sweeps == 0


async def test_a_stop_whose_removal_fails_or_hangs_still_ends(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster_presence, "STOP_SECONDS", 0.05)
    presence, _, store, _ = make()
    presence.start()
    store.remove_delay = 5.0
    with caplog.at_level(logging.WARNING, logger="app.chat.cluster_presence"):
        await asyncio.wait_for(presence.stop(), 2.0)
    assert store.removed == []
    assert messages(caplog) == ["removing this instance's presence failed: TimeoutError()"]
    assert all(task.done() for task in asyncio.all_tasks() if task.get_name().startswith("presence "))
    assert cluster_presence.STOP_SECONDS == 0.05


async def test_tasks_are_named_and_counted_presence_changes_reach_the_metrics() -> None:
    presence, _, _, _, metrics = make_counted()
    presence.start()
    try:
        assert [loop.task.get_name() for loop in presence._loops if loop.task] == [
            "presence writer",
            "presence reader",
            "presence heartbeat",
        ]
        presence.join("ann")
        assert metrics.calls == [("presence", "join")]
    finally:
        await presence.stop()


async def test_stop_without_start_removes_this_instance() -> None:
    presence, _, store, _ = make()
    await presence.stop()
    assert store.removed == ["me"]


async def test_stop_waits_for_the_tasks_to_end_before_removing(caplog: pytest.LogCaptureFixture) -> None:
    presence, _, store, _ = make()
    store.hold_replace = asyncio.Event()  # the writer is in the middle of a write
    presence.start()
    await until(lambda: presence._write.is_set() is False)
    await presence.stop()
    assert store.order == ["write ended", "remove"]
    assert store.removed == ["me"] and store.written == []

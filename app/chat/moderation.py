"""Removing messages: an operator's delete, retention, and the watch that tells this process's tabs
about deletions made elsewhere (the CLI is another process; with SQLite it has no bus to speak on)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from app.background import BackgroundLoop
from app.chat.bus import Bus
from app.chat.events import Event, MessagesDeleted
from app.chat.metrics import DeletionMetrics, NoDeletionMetrics
from app.store.messages import DeleteOutcome, MessageStore
from app.store.models import utc_now

log = logging.getLogger(__name__)

RETENTION_INTERVAL_SECONDS = 3600.0
# how often a server looks for deletions made by another process: with SQLite the only way it learns
# of them; with the PostgreSQL bus a safety net (the CLI notifies), for notifications the listener missed
WATCH_SECONDS_LOCAL = 1.0
WATCH_SECONDS_CLUSTER = 10.0
# deletions committed out of the order of their times (two at once) are still found within this
WATCH_OVERLAP = timedelta(seconds=30)


async def delete_message(
    store: MessageStore, message_id: int, reason: str | None, metrics: DeletionMetrics | None = None
) -> DeleteOutcome:
    """An operator's delete: the message becomes a tombstone (see `MessageStore.delete`)."""
    outcome = await store.delete(message_id, reason)
    if outcome == "deleted":
        (metrics or NoDeletionMetrics()).messages_deleted(1, "operator")
    return outcome


class Retention:
    """Deletes the messages older than `days` (and, ids being the chat's order, every one stored before
    the newest of them), then tells the tabs. Several instances may run it: the second finds nothing."""

    def __init__(
        self,
        store: MessageStore,
        bus: Bus,
        days: int,
        metrics: DeletionMetrics | None = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._bus = bus
        self.days = days
        self._metrics = metrics or NoDeletionMetrics()
        self._now = now

    async def run_once(self) -> int:
        """Delete what is too old now; how many shown messages went (tombstones are not counted)."""
        through = await self._store.newest_before(self._now() - timedelta(days=self.days))
        if through is None:
            return 0
        removed = await self._store.delete_through(through)
        if removed:
            self._metrics.messages_deleted(removed, "retention")
        self._bus.publish(MessagesDeleted((), through))
        return removed


class DeletionWatch:
    """Finds tombstones made since it last looked and publishes them on this process's bus."""

    def __init__(self, store: MessageStore, bus: Bus, overlap: timedelta = WATCH_OVERLAP) -> None:
        self._store = store
        self._bus = bus
        self._overlap = overlap
        self._seen: dict[int, datetime] = {}  # deletions within the overlap of the newest one
        self._newest: datetime | None = None  # pragma: no mutate (set from the store before any use)
        self._primed = False  # pragma: no mutate (None is as false: an equivalent mutant)
        bus.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, MessagesDeleted):  # announced already (the bus, or this process)
            for message_id in event.ids:
                self._seen.setdefault(message_id, self._newest or utc_now())

    async def check(self) -> tuple[int, ...]:
        """Publish the deletions not seen before (none on the first call: pages render without them)."""
        if not self._primed:  # only the newest tombstones, not every one ever made
            self._newest = await self._store.last_deleted_at()
        since = self._newest - self._overlap if self._newest is not None else None
        found = await self._store.deleted_since(since)
        fresh = tuple(d.id for d in found if d.id not in self._seen)
        for deletion in found:
            self._seen[deletion.id] = deletion.deleted_at
        if found:  # the store answers oldest deletion first
            self._newest = max(found[-1].deleted_at, self._newest or found[-1].deleted_at)
        if self._newest is not None:
            floor = self._newest - self._overlap
            self._seen = {i: at for i, at in self._seen.items() if at >= floor}
        primed, self._primed = self._primed, True
        if fresh and primed:
            self._bus.publish(MessagesDeleted(fresh))
            return fresh
        return ()


def periodic(
    name: str,
    seconds: float,
    job: Callable[[], Awaitable[object]],
    what: str,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    *,
    first: bool = True,
) -> BackgroundLoop:
    """A part (task `name`) that runs `job` now (with `first`) and then every `seconds`; a failure is logged
    (once until a run succeeds again) and the next run is tried as usual."""
    return BackgroundLoop(
        name,
        job,
        wait=lambda: sleep(seconds),
        wait_first=not first,
        failed=lambda error: log.warning("%s failed (%r); trying again in %.0f s", what, error, seconds),
    )


async def every(
    seconds: float,
    job: Callable[[], Awaitable[object]],
    what: str,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    *,
    first: bool = True,
) -> None:
    """`periodic`'s loop in the caller's task, until cancelled."""
    await periodic(what, seconds, job, what, sleep, first=first).run()

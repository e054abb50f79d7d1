"""Presence across instances: this instance's names in the presence table, the union of all live ones.

Each instance writes its own names (name → tab count) whenever that set changes, renews them with a
heartbeat, and sweeps the rows of instances that stopped beating. Every write is notified on the bus,
so the others re-read the table at once; a re-read also follows every heartbeat and every reconnect.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
from pathlib import Path

from app.chat.metrics import ChatMetrics
from app.chat.pg_bus import PgBus
from app.chat.presence import Presence, sorted_names
from app.store.presence import PresenceStore

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
EXPIRY_SECONDS = 15.0  # three missed heartbeats: a killed instance's names go within 20 s
STOP_SECONDS = 2.0


def instance_id(port: int, data_dir: Path) -> str:
    """Stable across restarts of one instance (host, port, data directory), so a restart after a crash
    removes what its earlier life left behind."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
    return f"{socket.gethostname()}:{port}:{digest}"


class ClusterPresence(Presence):
    """`Presence` whose online list is the union over every live instance, each name once."""

    def __init__(
        self,
        bus: PgBus,
        store: PresenceStore,
        instance: str,
        metrics: ChatMetrics | None = None,
        *,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        super().__init__(bus, metrics)
        self._store = store
        self.instance = instance
        self._heartbeat_seconds = heartbeat_seconds
        self._others: set[str] = set()
        self._write = asyncio.Event()
        self._reread = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        bus.on_presence(self._reread.set)

    def online_users(self) -> tuple[str, ...]:
        return sorted_names(self._others.union(self._tabs))

    def _publish(self) -> None:
        self._write.set()  # this instance's names changed: write them, the others re-read
        super()._publish()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._write.set()  # replaces whatever an earlier life of this instance left
        self._tasks = [
            loop.create_task(self._writer(), name="presence writer"),
            loop.create_task(self._reader(), name="presence reader"),
            loop.create_task(self._heartbeat(), name="presence heartbeat"),
        ]

    async def stop(self) -> None:
        """A graceful stop: this instance's names are removed everywhere at once."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        try:
            await asyncio.wait_for(self._store.remove(self.instance), STOP_SECONDS)
        except Exception as error:  # the others sweep the rows once they expire
            log.warning("removing this instance's presence failed: %r", error)

    async def _writer(self) -> None:
        while True:
            await self._write.wait()
            self._write.clear()
            try:
                await self._store.replace(self.instance, dict(self._tabs))
            except Exception as error:  # the database is away: the next heartbeat tries again
                log.warning("writing presence failed: %r", error)
                await asyncio.sleep(self._heartbeat_seconds)
                self._write.set()

    async def _reader(self) -> None:
        while True:
            await self._reread.wait()
            self._reread.clear()
            try:
                others = await self._store.others(self.instance)
            except Exception as error:
                log.warning("reading presence failed: %r", error)
                continue
            if others != self._others:
                before = self.online_users()
                self._others = others
                if self.online_users() != before:
                    super()._publish()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_seconds)
            try:
                renewed = await self._store.heartbeat(self.instance)
                if renewed < len(self._tabs):  # swept while we were away (paused, cut off)
                    self._write.set()
                await self._store.sweep()
            except Exception as error:
                log.warning("presence heartbeat failed: %r", error)
            self._reread.set()

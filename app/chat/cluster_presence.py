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

from app.background import BackgroundLoop, Backoff, start_all, stop_all, wait_and_clear
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
        self._loops = (
            BackgroundLoop(
                "presence writer",
                self._write_names,
                wait=lambda: wait_and_clear(self._write),
                # the database is away: the next heartbeat tries again
                backoff=Backoff(heartbeat_seconds, heartbeat_seconds),
                failed=self._write_failed,
                each_failure=True,
            ),
            BackgroundLoop(
                "presence reader",
                self._read_others,
                wait=lambda: wait_and_clear(self._reread),
                failed=lambda error: log.warning("reading presence failed: %r", error),
                each_failure=True,
            ),
            BackgroundLoop(
                "presence heartbeat",
                self._beat,
                wait=lambda: asyncio.sleep(self._heartbeat_seconds),
                failed=self._beat_failed,
                each_failure=True,
            ),
        )
        bus.on_presence(self._reread.set)

    def online_users(self) -> tuple[str, ...]:
        return sorted_names(self._others.union(self._tabs))

    def _publish(self) -> None:
        self._write.set()  # this instance's names changed: write them, the others re-read
        super()._publish()

    def start(self) -> None:
        self._write.set()  # replaces whatever an earlier life of this instance left
        start_all(self._loops)

    async def stop(self) -> None:
        """A graceful stop: this instance's names are removed everywhere at once."""
        await stop_all(self._loops)
        try:
            await asyncio.wait_for(self._store.remove(self.instance), STOP_SECONDS)
        except Exception as error:  # the others sweep the rows once they expire
            log.warning("removing this instance's presence failed: %r", error)

    async def _write_names(self) -> None:
        await self._store.replace(self.instance, dict(self._tabs))

    def _write_failed(self, error: Exception) -> None:
        log.warning("writing presence failed: %r", error)
        self._write.set()  # written again after the back-off, whether the names change or not

    async def _read_others(self) -> None:
        others = await self._store.others(self.instance)
        if others != self._others:
            before = self.online_users()
            self._others = others
            if self.online_users() != before:
                super()._publish()

    async def _beat(self) -> None:
        renewed = await self._store.heartbeat(self.instance)
        if renewed < len(self._tabs):  # swept while we were away (paused, cut off)
            self._write.set()
        await self._store.sweep()
        self._reread.set()

    def _beat_failed(self, error: Exception) -> None:
        log.warning("presence heartbeat failed: %r", error)
        self._reread.set()

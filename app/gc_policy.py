"""Keeps garbage-collector pauses short while many tabs are open.

A full (generation 2) collection walks every container object alive, and each open tab keeps a few
thousand of them (NiceGUI elements and their props, sockets, queues), so with 1000 tabs one full
collection stopped the whole process for ~650 ms every 10-17 s. Objects that live as long as the process
or a tab do not need to be walked again and again: `gc.freeze()` moves everything alive out of the
collector's sight, after start-up and again whenever tabs have connected since the last freeze. Young
cyclic garbage is collected first (`gc.collect(1)`, cheap), so little garbage gets frozen.

Frozen objects are never collected, so the cycles a closed tab leaves behind stay until a thaw: once as
many tabs have closed since the last thaw as a quarter of the room (those open at the last thaw, or
those open now plus those closed since, whichever is more; at least `MIN_CLOSED`), everything is
unfrozen, collected once and frozen again. That one pause is as long as before, but rare: it happens per
quarter of the room leaving, not every few seconds. Only tabs that connected count: page loads that never
open a socket (probes, previews, bots) leave little behind and must not bring the next thaw closer.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

from app.background import BackgroundLoop

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0
MIN_CLOSED = 50


class GcPolicy:
    def __init__(self) -> None:
        self._opened = 0  # connections since the last freeze
        self._closed = 0  # connected tabs gone since the last thaw
        self._open: set[str] = set()  # the tabs that connected and are not gone
        self._open_at_thaw = 0
        self._checks = BackgroundLoop(
            "gc policy",
            self._check,
            wait=lambda: asyncio.sleep(CHECK_SECONDS),
            failed=lambda error: log.warning("the gc policy's check failed (%r); checking again", error),
        )

    def tab_opened(self, tab: str) -> None:
        """A tab connected (or reconnected)."""
        self._opened += 1
        self._open.add(tab)

    def tab_closed(self, tab: str) -> None:
        """A tab (a page load) is gone; it counts if it had connected."""
        if tab in self._open:
            self._open.discard(tab)
            self._closed += 1

    def start(self) -> None:
        """After start-up: what is alive now (modules, the app, the pool) lives as long as the process."""
        gc.collect()
        gc.freeze()
        self._checks.start()

    async def stop(self) -> None:
        await self._checks.stop()
        gc.unfreeze()

    async def _check(self) -> None:
        self.check()

    def check(self) -> None:
        room = max(self._open_at_thaw, len(self._open) + self._closed)  # as big as it was since the thaw
        if self._closed >= max(MIN_CLOSED, room // 4):
            self.thaw()
        elif self._opened:
            self._opened = 0
            gc.collect(1)
            gc.freeze()

    def thaw(self) -> None:
        started = time.perf_counter()
        gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        log.debug(
            "gc thaw after %d closed tabs: %d unreachable objects, %.0f ms",
            self._closed,
            found,
            (time.perf_counter() - started) * 1000,
        )
        self._closed = self._opened = 0
        self._open_at_thaw = len(self._open)

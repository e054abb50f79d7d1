"""The start-up migration, retried in the background while the database is out of reach.

A server whose database is down when it starts still serves: `/healthz` answers 503 and the page shows
"unavailable" until the database answers and this has brought its schema up to date. Then everything works
without a restart.
"""

from __future__ import annotations

import asyncio
import logging

from app.background import DONE, BackgroundLoop, Backoff
from app.config import display_url
from app.store.errors import DatabaseUnavailable
from app.store.migrate import upgrade

log = logging.getLogger(__name__)

FIRST_DELAY = 0.5
MAX_DELAY = 10.0


class MigrateLater:
    """Retries `upgrade` until it succeeds or the server stops, waiting before each try: 0.5 s doubling to
    10 s (the start-up attempt has just failed), and 10 s after a failing migration script."""

    def __init__(self, sync_url: str, first_delay: float = FIRST_DELAY, max_delay: float = MAX_DELAY) -> None:
        self.sync_url = sync_url
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.done = asyncio.Event()
        self._backoff = Backoff(first_delay, max_delay)
        self._waited = 0.0  # before the current attempt
        self._attempts = 0
        self._retries = BackgroundLoop(
            "start-up migration retry", self._attempt, wait=self._wait, failed=self._failed, each_failure=True
        )

    def start(self) -> None:
        self._retries.start()

    async def stop(self) -> None:
        await self._retries.stop()

    async def _wait(self) -> None:
        self._waited = self._backoff.next()
        await asyncio.sleep(self._waited)

    async def _attempt(self) -> object:
        self._attempts += 1
        await asyncio.to_thread(upgrade, self.sync_url)
        log.info(
            "the database answers again: schema migrated after %d attempts, the chat is available",
            self._attempts,
        )
        self.done.set()
        return DONE

    def _failed(self, error: Exception) -> None:
        if not isinstance(error, DatabaseUnavailable):  # a failing migration script: say so, keep trying
            log.exception("start-up migration failed on %s", display_url(self.sync_url))  # someone may fix it
            self._backoff.delay = self.max_delay
        elif self._attempts == 1 or self._waited < self.max_delay:  # one line per doubling, then none
            log.warning("start-up migration still waiting for the database: %s", error)

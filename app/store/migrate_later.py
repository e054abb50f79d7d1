"""The start-up migration, retried in the background while the database is out of reach.

A server whose database is down when it starts still serves: `/healthz` answers 503 and the page shows
"unavailable" until the database answers and this has brought its schema up to date. Then everything works
without a restart.
"""

from __future__ import annotations

import asyncio
import logging

from app.config import display_url
from app.store.errors import DatabaseUnavailable
from app.store.migrate import upgrade

log = logging.getLogger(__name__)

FIRST_DELAY = 0.5
MAX_DELAY = 10.0


class MigrateLater:
    """Retries `upgrade` with backoff (0.5 s doubling to 10 s) until it succeeds or the server stops."""

    def __init__(self, sync_url: str, first_delay: float = FIRST_DELAY, max_delay: float = MAX_DELAY) -> None:
        self.sync_url = sync_url
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.done = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="start-up migration retry")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        delay = self.first_delay
        attempts = 0
        while True:
            await asyncio.sleep(delay)
            attempts += 1
            try:
                await asyncio.to_thread(upgrade, self.sync_url)
            except DatabaseUnavailable as error:
                if attempts == 1 or delay < self.max_delay:  # one line per doubling, then one per 10 s
                    log.warning("start-up migration still waiting for the database: %s", error)
                delay = min(delay * 2, self.max_delay)
                continue
            except (
                Exception
            ):  # a failing migration script: say so, keep trying (someone may fix the database)
                log.exception("start-up migration failed on %s", display_url(self.sync_url))
                delay = self.max_delay
                continue
            log.info(
                "the database answers again: schema migrated after %d attempts, the chat is available",
                attempts,
            )
            self.done.set()
            return

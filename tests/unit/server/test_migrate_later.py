"""The start-up migration's retry, without a database or real waits: when it tries, what it says."""

from __future__ import annotations

import asyncio
import logging

import pytest

from app.store import migrate_later
from app.store.errors import DatabaseUnavailable
from app.store.migrate_later import MigrateLater

real_sleep = asyncio.sleep


async def test_it_backs_off_says_so_per_doubling_and_ends_once_migrated(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    outcomes: list[Exception | None] = [DatabaseUnavailable("away")] * 7
    outcomes += [RuntimeError("a broken script"), DatabaseUnavailable("away"), None]
    slept: list[float] = []

    def upgrade(url: str) -> None:
        assert url == "postgresql://x/y"
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    async def sleep(delay: float) -> None:
        slept.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(migrate_later, "upgrade", upgrade)
    monkeypatch.setattr(migrate_later.asyncio, "sleep", sleep)
    retry = MigrateLater("postgresql://x/y")
    with caplog.at_level(logging.INFO, logger="app.store.migrate_later"):
        retry.start()
        try:
            await asyncio.wait_for(retry.done.wait(), 10)
            task = retry._retries.task
            assert task is not None
            await asyncio.wait_for(asyncio.shield(task), 10)  # it ends by itself
        finally:
            await retry.stop()
    assert slept == [0.5, 1, 2, 4, 8, 10, 10, 10, 10, 10]  # and 10 s after a failing script
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    waiting = ("WARNING", "start-up migration still waiting for the database: away")
    assert lines == [
        *[waiting] * 5,  # one line per doubling, none once at 10 s
        ("ERROR", "start-up migration failed on postgresql://x/y"),
        ("INFO", "the database answers again: schema migrated after 10 attempts, the chat is available"),
    ]
    assert caplog.records[5].exc_info is not None

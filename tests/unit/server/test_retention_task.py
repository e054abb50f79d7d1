"""The hourly jobs: `every` with a fake sleep (no real hour passes), and the server's wiring that starts
retention and the deletion watch with the chat and cancels them at shutdown."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.background import BackgroundLoop
from app.chat.moderation import RETENTION_INTERVAL_SECONDS, every
from app.config import load_settings
from app.main import Chat, build_chat
from app.store.migrate import upgrade
from app.store.models import Message
from tests.support.wait import until


class Stop(Exception):
    pass


def running(chat: Chat) -> tuple[asyncio.Task[None], ...]:
    """The tasks of the chat's loops (the deletion watch, retention) that are running."""
    return tuple(part.task for part in chat.parts if isinstance(part, BackgroundLoop) and part.task)


async def test_every_runs_at_once_then_each_interval_and_survives_failures(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[int] = []
    slept: list[float] = []

    async def job() -> None:
        runs.append(len(slept))
        if len(runs) in (2, 3):
            raise RuntimeError("database away")

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 5:
            raise Stop

    with caplog.at_level(logging.WARNING), pytest.raises(Stop):
        await every(RETENTION_INTERVAL_SECONDS, job, "retention", fake_sleep)
    assert runs == [0, 1, 2, 3, 4]  # one run per hour, the first at once
    assert slept == [3600.0] * 5
    failures = [r for r in caplog.records if "retention failed" in r.getMessage()]
    assert len(failures) == 1  # two failures in a row: one line


async def test_the_server_runs_retention_at_start_and_stops_it(tmp_path: Path) -> None:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'chat.db'}", data_dir=tmp_path, retention_days=30
    )
    upgrade(settings.sync_url)
    chat = build_chat(settings)
    async with chat.store._sessions() as session:
        session.add(Message(author="ann", text="from last year", created_at=datetime(2025, 1, 1, tzinfo=UTC)))
        await session.commit()
    await chat.store.add("ann", "today")
    await chat.start()
    try:
        await until(lambda: len(running(chat)) == 2)

        async def left() -> list[str]:
            return [m.text for m in await chat.store.recent(10)]

        remaining: list[str] = []
        for _ in range(500):
            remaining = await left()
            if remaining == ["today"]:
                break
            await asyncio.sleep(0.01)
        assert remaining == ["today"]
        tasks = running(chat)
    finally:
        await chat.stop()
        await chat.store.engine.dispose()
    assert all(task.done() for task in tasks) and running(chat) == ()


def test_retention_is_off_by_default(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'chat.db'}", data_dir=tmp_path)
    assert settings.retention_days is None
    assert build_chat(settings).retention is None

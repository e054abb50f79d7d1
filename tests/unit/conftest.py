"""The unit tier: everything runs in this process (sockets it opens to itself on 127.0.0.1 included, as the
transport tests' socket.io server and client do). The chat on a fresh SQLite database, and simulated
browsers (NiceGUI's User) on its real page over an in-memory transport."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings, sync_database_url
from app.main import Chat, build_chat
from app.store.migrate import upgrade
from tests.support import databases
from tests.support.databases import database_url
from tests.support.users import NewUser, simulated_users


@pytest.fixture(autouse=True)
def in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """A unit test starts no process and needs no PostgreSQL: one that does belongs in tests/process."""

    def no_process(self: subprocess.Popen[Any], args: Any, *more: Any, **options: Any) -> None:
        raise AssertionError(
            f"a unit test starts no process (this one ran {args!r}): move it to tests/process"
        )

    def no_postgres() -> None:
        raise AssertionError("a unit test needs no PostgreSQL: move it to tests/process")

    monkeypatch.setattr(subprocess.Popen, "__init__", no_process)
    monkeypatch.setattr(databases, "require_postgres", no_postgres)


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """The unit tier's database: SQLite, migrated and empty (tests/process/store/test_on_postgres.py runs the
    tests that take it on PostgreSQL)."""
    with database_url("sqlite", tmp_path) as url:
        upgrade(sync_database_url(url))
        yield url


@pytest.fixture
def chat(settings: Settings) -> Chat:
    return build_chat(settings)


@pytest.fixture
async def new_user(chat: Chat) -> AsyncIterator[NewUser]:
    """Makes users, each a separate simulated browser (own cookies, own storage)."""
    async with simulated_users(chat) as new_user:
        yield new_user

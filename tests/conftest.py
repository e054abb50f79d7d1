from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.config import Settings, async_database_url, load_settings, sync_database_url
from app.store.database import create_engine
from app.store.messages import MessageStore
from app.store.migrate import upgrade
from tests.databases import database_url


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a migrated SQLite database in the test's own directory (history 5, no rate limit)."""
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'chat.db'}", history_limit=5, rate_limit=0, data_dir=tmp_path
    )
    upgrade(settings.sync_url)
    return settings


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of each kind."""
    with database_url(request.param, tmp_path) as url:
        upgrade(sync_database_url(url))
        yield url


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[MessageStore]:
    store = MessageStore(create_engine(async_database_url(db_url)))
    yield store
    await store.engine.dispose()

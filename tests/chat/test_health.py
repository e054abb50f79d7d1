"""GET /healthz logic: ok, database down, database hanging, migrations pending."""

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from app.config import async_database_url, sync_database_url
from app.store.database import create_engine
from app.store.messages import MessageStore
from app.store.migrate import current_revision, head_revision, pending_migrations, upgrade
from app.web.health import HEALTH_TIMEOUT, health
from tests.databases import database_url


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of each kind that was never migrated."""
    with database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def empty_store(empty_url: str) -> AsyncIterator[MessageStore]:
    store = MessageStore(create_engine(async_database_url(empty_url)))
    yield store
    await store.engine.dispose()


async def test_ok(store: MessageStore) -> None:
    response = await health(store)
    assert response.status_code == 200
    assert json.loads(response.body) == {"status": "ok", "database": "ok", "schema": "ok"}
    assert "set-cookie" not in response.headers


async def test_never_migrated_is_pending(empty_store: MessageStore, empty_url: str) -> None:
    response = await health(empty_store)
    assert response.status_code == 503
    assert json.loads(response.body) == {"status": "error", "database": "ok", "schema": "pending"}
    assert await current_revision(empty_store.engine) is None
    assert pending_migrations(sync_database_url(empty_url))
    upgrade(sync_database_url(empty_url))
    assert (await health(empty_store)).status_code == 200
    assert await current_revision(empty_store.engine) == head_revision()
    assert not pending_migrations(sync_database_url(empty_url))


async def test_unknown_or_missing_revision(store: MessageStore) -> None:
    async with store.engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = 'base-old'"))
    response = await health(store)
    assert response.status_code == 503
    assert json.loads(response.body)["schema"] == "unknown"  # a revision this code does not ship
    async with store.engine.begin() as connection:
        await connection.execute(text("DELETE FROM alembic_version"))
    assert json.loads((await health(store)).body)["schema"] == "pending"


@pytest.mark.parametrize("kind", ["closed", "silent"])
async def test_database_down_or_hanging_is_503(kind: str, silent_port: int) -> None:
    port = silent_port if kind == "silent" else closed_port()
    store = MessageStore(create_engine(async_database_url(f"postgresql://postgres@127.0.0.1:{port}/chat")))
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT + 2):
            response = await health(store)
    finally:
        await store.engine.dispose()
    assert response.status_code == 503
    assert json.loads(response.body) == {"status": "error", "database": "error"}

"""GET /healthz logic: ok, database down, database hanging."""

import asyncio
import json
import socket
from collections.abc import Iterator

import pytest

from app.config import async_database_url
from app.main import HEALTH_TIMEOUT, health
from app.store.database import create_engine
from app.store.messages import MessageStore


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


async def test_ok(store: MessageStore) -> None:
    response = await health(store)
    assert response.status_code == 200
    assert json.loads(response.body) == {"status": "ok", "database": "ok"}


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
    assert json.loads(response.body)["database"] == "error"

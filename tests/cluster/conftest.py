"""Several chat server processes on one fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.databases import postgres_database
from tests.e2e.server import ChatServer

StartInstance = Callable[..., ChatServer]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.timeout(180))


@pytest.fixture
def shared_database() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture
def start_instance(shared_database: str, tmp_path: Path) -> Iterator[StartInstance]:
    """Starts `python -m app` processes on the shared database, each with its own port and data dir."""
    servers: list[ChatServer] = []

    def start(**env: str) -> ChatServer:
        root = tmp_path / f"instance{len(servers)}"
        root.mkdir()
        server = ChatServer(root, {"DATABASE_URL": shared_database, **env})
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()

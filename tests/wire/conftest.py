"""A chat server process per test, for the wire-level hardening tests (raw tabs, HTTP headers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.server import ChatServer

StartServer = Callable[..., ChatServer]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.timeout(180))


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Starts `python -m app` (SQLite) with the given environment; stopped after the test."""
    servers: list[ChatServer] = []

    def start(**env: str) -> ChatServer:
        root = tmp_path / f"server{len(servers)}"
        root.mkdir()
        server = ChatServer(root, env, ready_path=env.get("CHAT_ROOT_PATH", "") + "/healthz")
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()

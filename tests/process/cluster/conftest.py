"""Several chat server processes on one fresh PostgreSQL database."""

from __future__ import annotations

import functools

import pytest

from tests.support.server import StartServer


@pytest.fixture
def start_instance(start_server: StartServer, postgres_url: str) -> StartServer:
    """Starts `python -m app` processes on the shared database (`postgres_url`), each with its own port and
    data directory."""
    return functools.partial(start_server, DATABASE_URL=postgres_url)

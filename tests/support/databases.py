"""Fresh databases for tests: a SQLite file, or a PostgreSQL database created for this run; what is stored
in one, seen from outside the server."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from app.config import async_database_url, sync_database_url
from app.store.database import create_engine
from app.store.messages import MessageStore
from app.store.migrate import upgrade

PG_ADMIN = os.environ.get("CHAT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def postgres_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def require_postgres() -> None:
    """Skip when PostgreSQL is absent, or fail when CHAT_REQUIRE_POSTGRES=1 (CI)."""
    if postgres_available():
        return
    message = f"PostgreSQL is not reachable at {PG_ADMIN}"
    if os.environ.get("CHAT_REQUIRE_POSTGRES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database; dropped afterwards. Yields its plain URL."""
    require_postgres()
    name = f"chat_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database_url(kind: str, directory: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'chat.db'}"
    else:
        with postgres_database() as url:
            yield url


def terminate_backends(database_url: str, application_name: str | None = None) -> int:
    """pg_terminate_backend on every connection to the PostgreSQL database of `database_url` (only those of
    `application_name`, if given) but this one; how many were terminated."""
    query = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    query += " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    if application_name is not None:
        query += " AND application_name = %(name)s"
    with psycopg.connect(database_url, autocommit=True) as connection:
        return len(connection.execute(query, {"name": application_name}).fetchall())


def rows(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    """The rows `sql` selects in the database of a plain URL (sqlite:///… or postgresql://…), from outside
    the server: what is really stored."""
    if database_url.startswith("sqlite:///"):
        with closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as db:
            return db.execute(sql).fetchall()
    with psycopg.connect(database_url) as db:
        return db.execute(sql).fetchall()


def stored_ids(database_url: str) -> list[int]:
    """The ids of the stored messages, in order."""
    return [row[0] for row in rows(database_url, "SELECT id FROM message ORDER BY id")]


def stored_sends(database_url: str) -> dict[str, int]:
    """client_msg_id → message id of every stored message."""
    return dict(rows(database_url, "SELECT client_msg_id, id FROM message"))


@asynccontextmanager
async def store_on(url: str) -> AsyncIterator[MessageStore]:
    """A MessageStore on the database of a plain URL, its engine disposed of afterwards."""
    store = MessageStore(create_engine(async_database_url(url)))
    try:
        yield store
    finally:
        await store.engine.dispose()


@asynccontextmanager
async def postgres_store() -> AsyncIterator[tuple[str, MessageStore]]:
    """A new, migrated PostgreSQL database (dropped afterwards): its async URL, and a MessageStore on it."""
    with postgres_database() as url:
        upgrade(sync_database_url(url))
        async with store_on(url) as store:
            yield async_database_url(url), store

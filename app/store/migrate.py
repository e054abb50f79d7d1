"""Alembic, driven from code: the migrations ship inside the package."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.store.errors import DatabaseUnavailable, DatabaseUnreachable, describe_db_error, is_unreachable

MIGRATIONS = Path(__file__).with_name("migrations")
CONNECT_TIMEOUT_SECONDS = 5


def alembic_config(sync_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sync_url.replace("%", "%%"))
    return config


def upgrade(sync_url: str) -> None:
    """Bring the schema up to date (idempotent); DatabaseUnavailable when the database cannot be used."""
    try:
        command.upgrade(alembic_config(sync_url), "head")
    except (OperationalError, DBAPIError) as error:
        if not _is_connection_error(error):
            raise
        unavailable = DatabaseUnreachable if is_unreachable(error) else DatabaseUnavailable
        raise unavailable(describe_db_error(error, sync_url)) from error


def _is_connection_error(error: DBAPIError) -> bool:
    return isinstance(error, OperationalError) or bool(error.connection_invalidated)


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


@functools.cache
def head_revision() -> str:
    """The newest revision of the packaged migrations (read once)."""
    head = _scripts().get_current_head()
    assert head is not None, "the packaged migrations have a single head"
    return head


@functools.cache
def known_revisions() -> frozenset[str]:
    return frozenset(script.revision for script in _scripts().walk_revisions())


def pending_count(current: str | None) -> int:
    """How many migrations lie between `current` (None: an empty database) and the head."""
    if current == head_revision():
        return 0
    return len(list(_scripts().iterate_revisions(head_revision(), current or "base")))


def schema_state(current: str | None) -> str:
    """`ok` (at head), `pending` (behind, or not migrated at all) or `unknown` (a revision we do not ship)."""
    if current == head_revision():
        return "ok"
    if current is None or current in known_revisions():
        return "pending"
    return "unknown"


def _read_version(connection: Connection) -> str | None:
    try:
        row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    except (OperationalError, ProgrammingError) as error:
        if _missing_table(error):
            return None
        raise
    return str(row[0]) if row is not None else None


def _missing_table(error: DBAPIError) -> bool:
    message = str(error.orig).lower()
    return "no such table" in message or "does not exist" in message


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at; None when it was never migrated (no alembic_version table)."""
    async with engine.connect() as connection:
        return await connection.run_sync(_read_version)


def sync_engine_args(sync_url: str) -> dict[str, object]:
    args: dict[str, object] = {"poolclass": pool.NullPool}
    if not sync_url.startswith("sqlite"):
        args["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    return args


def current_revision_sync(sync_url: str) -> str | None:
    """As `current_revision`, on a blocking connection; DatabaseUnavailable when it cannot connect."""
    engine = create_engine(sync_url, **sync_engine_args(sync_url))
    try:
        with engine.connect() as connection:
            return _read_version(connection)
    except OperationalError as error:
        raise DatabaseUnavailable(describe_db_error(error, sync_url)) from error
    finally:
        engine.dispose()


def pending_migrations(sync_url: str) -> bool:
    """Whether the database at `sync_url` is behind the packaged migrations."""
    return schema_state(current_revision_sync(sync_url)) != "ok"


def create_database(sync_url: str) -> bool:
    """Create the PostgreSQL database of `sync_url` through the `postgres` maintenance database;
    for SQLite, create the file's directory. True if something was created."""
    url = make_url(sync_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return False
        directory = Path(url.database).parent
        if directory.exists():
            return False
        directory.mkdir(parents=True)
        return True
    import psycopg
    from psycopg import sql

    name = url.database
    if not name:
        raise DatabaseUnavailable(f"no database name in {url.render_as_string()}")
    maintenance = url.set(drivername="postgresql", database="postgres")
    conninfo = maintenance.render_as_string(hide_password=False)
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists:
                return False
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    except psycopg.Error as error:
        raise DatabaseUnavailable(
            f"cannot create database {name!r}: {describe_db_error(error, conninfo)}"
        ) from error

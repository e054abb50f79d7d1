"""`python -m app migrate` on empty SQLite and PostgreSQL databases, twice."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.support.databases import database_url


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_migrate_twice(kind: str, tmp_path: Path) -> None:
    with database_url(kind, tmp_path) as url:
        env = {**os.environ, "DATABASE_URL": url, "CHAT_DATA_DIR": str(tmp_path / "data")}
        for _ in range(2):
            result = subprocess.run(
                [sys.executable, "-m", "app", "migrate"], env=env, capture_output=True, text=True, timeout=60
            )
            assert result.returncode == 0, result.stderr
        if kind == "sqlite":
            import sqlite3

            with sqlite3.connect(tmp_path / "chat.db") as db:
                tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                assert db.execute("PRAGMA journal_mode").fetchone()[0] in {"wal", "delete"}
        else:
            with psycopg.connect(url) as db:
                tables = {
                    row[0]
                    for row in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                }
        assert {"message", "alembic_version"} <= tables


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_send_ids_are_unique_in_the_schema(kind: str, tmp_path: Path) -> None:
    """Migration 0002: a second row with the same client_msg_id is refused by the database itself."""
    from app.config import sync_database_url
    from app.store.migrate import upgrade

    with database_url(kind, tmp_path) as url:
        upgrade(sync_database_url(url))
        insert = (
            "INSERT INTO message (author, text, created_at, client_msg_id) VALUES ('a', 'hi', {now}, {id})"
        )
        if kind == "sqlite":
            import sqlite3

            with sqlite3.connect(tmp_path / "chat.db") as db:
                statement = insert.format(now="CURRENT_TIMESTAMP", id="'same'")
                db.execute(statement)
                db.execute(insert.format(now="CURRENT_TIMESTAMP", id="NULL"))
                db.execute(insert.format(now="CURRENT_TIMESTAMP", id="NULL"))  # NULLs do not collide
                with pytest.raises(sqlite3.IntegrityError):
                    db.execute(statement)
        else:
            with psycopg.connect(url, autocommit=True) as db:
                statement = insert.format(now="now()", id="'same'")
                db.execute(statement)
                db.execute(insert.format(now="now()", id="NULL"))
                db.execute(insert.format(now="now()", id="NULL"))
                with pytest.raises(psycopg.errors.UniqueViolation):
                    db.execute(statement)

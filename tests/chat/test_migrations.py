"""`python -m app migrate` on empty SQLite and PostgreSQL databases, twice."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.databases import database_url


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

"""Start-up failures about the database are one line a person can act on, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from app.store.errors import describe_db_error
from app.store.migrate import create_database
from tests.support.databases import PG_ADMIN, require_postgres
from tests.support.ports import free_port

PG_SERVER = PG_ADMIN.rsplit("/", 1)[0]  # postgresql://postgres@127.0.0.1:5432


def run_app(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DATABASE_URL", "CHAT_"))
    }
    environment.update(CHAT_DATA_DIR=str(tmp_path / "data"), OTEL_SDK_DISABLED="true", **env)
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def with_password(url: str, password: str = "hunter2") -> str:
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}://{user}:{password}@{host}"


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("chat:")]
    assert len(lines) == 1, result.stderr
    assert "hunter2" not in result.stdout + result.stderr, "the password is never printed"
    return lines[0]


@pytest.mark.parametrize("command", [["migrate"], []])  # `migrate`, and serve's migration on start
def test_database_that_does_not_exist(tmp_path: Path, command: list[str]) -> None:
    require_postgres()
    name = f"chat_absent_{uuid.uuid4().hex[:8]}"
    result = run_app(
        *command,
        "--port",
        str(free_port()),
        tmp_path=tmp_path,
        DATABASE_URL=with_password(f"{PG_SERVER}/{name}"),
    )
    assert result.returncode == 1
    line = one_line(result)
    assert f'database "{name}" does not exist' in line
    assert f"createdb -h 127.0.0.1 -p 5432 -U postgres {name}" in line
    assert "migrate --create-db" in line


def test_nothing_listening(tmp_path: Path) -> None:
    port = free_port()
    result = run_app(
        "migrate", tmp_path=tmp_path, DATABASE_URL=f"postgresql://postgres:hunter2@127.0.0.1:{port}/chat"
    )
    assert result.returncode == 1
    line = one_line(result)
    assert f"127.0.0.1:{port} refused the connection" in line
    assert "postgresql://postgres:***@127.0.0.1" in line


def test_wrong_user(tmp_path: Path) -> None:
    require_postgres()
    url = f"postgresql://nobody_here:hunter2@{PG_SERVER.split('@', 1)[1]}/postgres"
    result = run_app("migrate", tmp_path=tmp_path, DATABASE_URL=url)
    assert result.returncode == 1
    assert 'login refused by 127.0.0.1:5432: user "nobody_here" does not exist' in one_line(result)


def test_sqlite_directory_missing(tmp_path: Path) -> None:
    result = run_app("migrate", tmp_path=tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/no/such/dir/chat.db")
    assert result.returncode == 1
    assert "cannot open the SQLite database" in one_line(result)


def test_migrate_create_db(tmp_path: Path) -> None:
    require_postgres()
    name = f"chat_created_{uuid.uuid4().hex[:8]}"
    url = with_password(f"{PG_SERVER}/{name}")
    try:
        first = run_app("migrate", "--create-db", tmp_path=tmp_path, DATABASE_URL=url)
        assert first.returncode == 0, first.stderr
        assert f"created the database postgresql://postgres:***@127.0.0.1:5432/{name}" in first.stdout
        assert "hunter2" not in first.stdout + first.stderr
        again = run_app("migrate", "--create-db", tmp_path=tmp_path, DATABASE_URL=url)
        assert again.returncode == 0, again.stderr
        assert "created the database" not in again.stdout
        with psycopg.connect(f"{PG_SERVER}/{name}") as db:
            assert db.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_create_db_for_sqlite_makes_the_directory(tmp_path: Path) -> None:
    target = tmp_path / "new" / "dir" / "chat.db"
    assert create_database(f"sqlite:///{target}") is True
    assert target.parent.is_dir()
    assert create_database(f"sqlite:///{target}") is False


def test_create_db_flag_only_with_migrate(tmp_path: Path) -> None:
    result = run_app("check", "--create-db", tmp_path=tmp_path)
    assert result.returncode == 2
    assert "--create-db goes with migrate" in result.stderr


def test_unclassified_error_keeps_the_driver_words() -> None:
    line = describe_db_error(RuntimeError("something odd\nsecond line"), "postgresql://u:pw@h/db")
    assert line == "cannot use the database postgresql://u:***@h/db: something odd"

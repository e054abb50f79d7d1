"""`python -m app check`: one line per check, exit 0 only when nothing blocks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from app import patches
from app.store.migrate import alembic_config, upgrade
from tests.support.databases import database_url
from tests.support.ports import free_port

STRONG = "s" * 40

# every migration the package ships is pending on a never-migrated database
SHIPPED = len(list(ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()))


def check(tmp_path: Path, *flags: str, **env: str) -> tuple[int, list[str]]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "CHAT_", "OTEL_", "DATABASE"))
    }
    environment.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'chat.db'}",
        CHAT_DATA_DIR=str(tmp_path / "data"),
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{free_port()}",
    )
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "-m", "app", "check", *flags],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout.splitlines()


def line(lines: list[str], words: str) -> str:
    found = [text for text in lines if words in text]
    assert found, f"no line with {words!r} in {lines}"
    return found[0]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_all_ok(tmp_path: Path, kind: str, silent_port: int) -> None:
    with database_url(kind, tmp_path) as url:
        upgrade(url.replace("postgresql://", "postgresql+psycopg://", 1))
        code, lines = check(
            tmp_path,
            DATABASE_URL=url,
            CHAT_ENV="prod",
            CHAT_STORAGE_SECRET=STRONG,
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{silent_port}",
        )
    assert code == 0, lines
    assert lines[0] == "ok    configuration (prod)"
    assert line(lines, "secret").startswith("ok    secret")
    assert line(lines, "database").startswith("ok    database ")
    assert line(lines, "migrations") == "ok    migrations: schema is up to date"
    assert line(lines, "OTLP") == f"ok    OTLP endpoint http://127.0.0.1:{silent_port} reachable"
    for row in patches.report():  # one line per library whose insides app/patches/ touches
        assert f"ok    {row.library} {row.installed} internals: {row.uses}" in lines
    assert STRONG not in "\n".join(lines)


def test_bad_setting(tmp_path: Path) -> None:
    code, lines = check(tmp_path, DATABASE_URL="mysql://root@localhost/chat")
    assert code == 2
    assert lines == [line(lines, "FAIL  configuration: invalid setting: DATABASE_URL")]


def test_database_down(tmp_path: Path) -> None:
    port = free_port()
    code, lines = check(tmp_path, DATABASE_URL=f"postgresql://postgres:hunter2@127.0.0.1:{port}/chat")
    assert code == 1
    assert line(lines, "database").startswith(f"FAIL  database: database server at 127.0.0.1:{port} refused")
    assert "hunter2" not in "\n".join(lines)
    assert "migrations" not in "\n".join(lines)  # nothing to say about a database that does not answer


def test_pending_migration_blocks_without_auto_migrate(tmp_path: Path) -> None:
    (tmp_path / "chat.db").touch()  # an existing, never migrated database
    code, lines = check(tmp_path, CHAT_AUTO_MIGRATE="0")
    assert code == 1
    assert (
        line(lines, "migrations")
        == f"FAIL  migrations: {SHIPPED} pending (run python -m app migrate, or check --migrate)"
    )
    code, lines = check(tmp_path, "--migrate", CHAT_AUTO_MIGRATE="0")
    assert code == 0, lines
    assert line(lines, "migrations") == f"ok    migrations: applied {SHIPPED}, schema is up to date"
    code, lines = check(tmp_path, CHAT_AUTO_MIGRATE="0")
    assert (code, line(lines, "migrations")) == (0, "ok    migrations: schema is up to date")


def test_pending_migration_is_a_warning_with_auto_migrate(tmp_path: Path) -> None:
    code, lines = check(tmp_path)
    assert code == 0, lines
    assert line(lines, "migrations").startswith(f"warn  migrations: {SHIPPED} pending (applied on start")
    assert not (tmp_path / "chat.db").exists(), "check does not create the database"


@pytest.mark.parametrize(
    ("secret", "words"), [("", "is required"), ("short", "must be at least 32 characters")]
)
def test_prod_secret(tmp_path: Path, secret: str, words: str) -> None:
    code, lines = check(tmp_path, CHAT_ENV="prod", CHAT_STORAGE_SECRET=secret)
    assert code == 1
    assert line(lines, "secret").startswith(f"FAIL  secret: CHAT_STORAGE_SECRET {words}")
    assert lines[0] == "ok    configuration (prod)"


def test_broken_generated_secret(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "storage-secret").write_text("")
    code, lines = check(tmp_path)
    assert code == 1
    assert line(lines, "secret").startswith("FAIL  secret: the storage secret")


def test_otlp_unreachable_is_a_warning(tmp_path: Path) -> None:
    port = free_port()
    code, lines = check(tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}")
    assert code == 0
    assert line(lines, "OTLP") == (
        f"warn  OTLP endpoint http://127.0.0.1:{port} unreachable "
        "(Connection refused; telemetry will retry; not blocking)"
    )


def test_telemetry_off(tmp_path: Path) -> None:
    code, lines = check(tmp_path, OTEL_SDK_DISABLED="true")
    assert code == 0
    assert "ok    telemetry off (OTEL_SDK_DISABLED=true)" in lines

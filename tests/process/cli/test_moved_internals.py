"""A library whose insides moved stops the server's start with one clear line, before anything is installed
(the database is not even migrated), and makes `python -m app check` fail on that library's line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app import patches
from tests.process.cli.conftest import app_environment
from tests.support.ports import free_port

MOVE_AN_INTERNAL = "import uvicorn\ndel uvicorn.Server.shutdown\n"


def run_app(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m app ARGS` in a process where uvicorn's Server.shutdown is gone."""
    environment = app_environment(
        DATABASE_URL=f"sqlite:///{tmp_path / 'chat.db'}",
        CHAT_DATA_DIR=str(tmp_path / "data"),
        OTEL_SDK_DISABLED="true",
        PORT=str(free_port()),  # never listened on: the start stops before
    )
    code = f"{MOVE_AN_INTERNAL}import sys\nfrom app.__main__ import main\nsys.exit(main({list(args)!r}))\n"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def uvicorn_moved() -> str:
    """How the check describes uvicorn without Server.shutdown (with "tested with" on another version)."""
    uvicorn = patches.module("uvicorn")
    moved = patches.Moved(
        uvicorn.LIBRARY,
        patches.installed(uvicorn),
        uvicorn.PINNED,
        ("Server.shutdown(self, sockets) is gone",),
    )
    return moved.describe()


def test_the_start_stops_with_what_moved(tmp_path: Path) -> None:
    result = run_app(tmp_path, "serve")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    moved = f"chat: library internals the chat relies on have moved: {uvicorn_moved()}. Install the pinned"
    assert moved in result.stderr
    assert not (tmp_path / "chat.db").exists(), "nothing was done before the check"


def test_check_fails_on_the_library_that_moved(tmp_path: Path) -> None:
    result = run_app(tmp_path, "check")
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stdout
    assert f"FAIL  {uvicorn_moved()} (internals moved: see app/patches/uvicorn.py)" in lines
    nicegui = patches.module("nicegui")
    assert f"ok    nicegui {patches.installed(nicegui)} internals: {nicegui.USES}" in lines

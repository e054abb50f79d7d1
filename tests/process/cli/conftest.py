"""The command line run as a person does: `python -m app ...` in a test folder, with a clean environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

from tests.support.http import first_answer
from tests.support.ports import free_port

Output = int | IO[bytes]


def app_environment(**settings: str) -> dict[str, str]:
    """Ours without PYTEST_* (NiceGUI would switch to its test mode) nor any chat, database or telemetry
    setting, then `settings`."""
    prefixes = ("PYTEST", "CHAT_", "OTEL_", "DATABASE")
    return {**{k: v for k, v in os.environ.items() if not k.startswith(prefixes)}, **settings}


class Serving:
    """`python -m app --port N *args` serving from `cwd`, in its own process group; leaving the block sends
    SIGTERM to the group and keeps what it wrote to a pipe in `stderr`."""

    def __init__(
        self, cwd: Path, env: dict[str, str], *args: str, stdout: Output = subprocess.DEVNULL, stderr: Output
    ) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        command = [sys.executable, "-m", "app", "--port", self.url.rsplit(":", 1)[1], *args]
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=stdout, stderr=stderr, start_new_session=True
        )
        self.stderr = b""

    def answer(self, path: str) -> httpx.Response:
        """The first answer to `path` once the server listens (it fails if the server exits first)."""
        return first_answer(self.url + path, self.process)

    def __enter__(self) -> Serving:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.stderr = self.process.communicate(timeout=20)[1] or b""

"""A chat server in a child process on a free port, with its own database and data directory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def child_environment(root: Path, overrides: dict[str, str]) -> dict[str, str]:
    """The server's environment: ours without PYTEST_* (NiceGUI would switch to its test mode)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env.update(
        DATABASE_URL=f"sqlite:///{root / 'chat.db'}",
        CHAT_DATA_DIR=str(root / "data"),
        CHAT_RATE_LIMIT="0",
        OTEL_SDK_DISABLED="true",
    )
    env.update(overrides)
    return env


class ChatServer:
    """`python -m app` on 127.0.0.1; can be killed and started again on the same port and database.

    `command` runs something else that serves the chat (`{port}` is filled in); it is ready when
    `ready_path` answers `ready_status`."""

    def __init__(
        self,
        root: Path,
        env: dict[str, str] | None = None,
        *,
        command: list[str] | None = None,
        ready_path: str = "/healthz",
        ready_status: int = 200,
        ready_timeout: float = READY_TIMEOUT,
    ) -> None:
        self.root = root
        self.port = free_port()
        self.env = child_environment(root, env or {})
        self.command = command or [sys.executable, "-m", "app", "--port", "{port}"]
        self.ready_path = ready_path
        self.ready_status = ready_status
        self.ready_timeout = ready_timeout
        self.log_path = root / "server.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [part.format(port=self.port) for part in self.command],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"chat server exited with {self._process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}{self.ready_path}", timeout=1) as response:
                    if response.status == self.ready_status:
                        return
            except urllib.error.HTTPError as error:
                if error.code == self.ready_status:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)  # polling a condition with a deadline, not a fixed wait
        raise TimeoutError(f"chat server not ready in {self.ready_timeout} s:\n{self.log()}")

    def pause(self) -> None:
        """Freeze the process (SIGSTOP): sockets stay open, nothing is answered."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def kill(self) -> None:
        """Die at once, as on a crash or a power cut (SIGKILL)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(STOP_TIMEOUT)
            self._process = None
        self._close_log()

    def stop(self) -> int | None:
        """SIGTERM, and wait; the exit code (None if it had to be killed or was not running)."""
        code = None
        if self._process is not None:
            self._process.terminate()
            try:
                code = self._process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(STOP_TIMEOUT)
            self._process = None
        self._close_log()
        return code

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

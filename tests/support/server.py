"""The chat server in a child process on a free port, with its own database and data directory: the one
`ChatServer` of the process and browser tiers (and of bench/), and the `start_server` fixture."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.support.ports import free_port

READY_TIMEOUT = 30.0
PATIENT_READY_TIMEOUT = 90.0  # for a server started while the machine is busy with other servers
STOP_TIMEOUT = 10.0


def child_environment(root: Path, overrides: dict[str, str]) -> dict[str, str]:
    """The server's environment: ours without PYTEST_* (NiceGUI would switch to its test mode) and OTEL_*
    (telemetry is off unless the test turns it on), a SQLite database and a data directory under `root`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "OTEL_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{root / 'chat.db'}",
        CHAT_DATA_DIR=str(root / "data"),
        CHAT_RATE_LIMIT="0",
        OTEL_SDK_DISABLED="true",
    )
    env.update(overrides)
    return env


def telemetry_environment(endpoint: str, **more: str) -> dict[str, str]:
    """Overrides for a server that exports to the OTLP/HTTP `endpoint`, in short batches (dev log lines)."""
    return {
        "OTEL_SDK_DISABLED": "false",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_METRIC_EXPORT_INTERVAL": "500",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "OTEL_BLRP_SCHEDULE_DELAY": "200",
        "CHAT_ENV": "dev",
        "PYTHONUNBUFFERED": "1",
        **more,
    }


class ChatServer:
    """`python -m app` on 127.0.0.1; can be killed and started again on the same port and database.

    `command` runs something else that serves the chat (`{port}` is filled in); it is ready when
    `ready_path` answers `ready_status`. Its stdout and stderr go to `log_path`."""

    def __init__(
        self,
        root: Path,
        env: dict[str, str] | None = None,
        *,
        command: list[str] | None = None,
        ready_path: str = "/healthz",
        ready_status: int = 200,
        ready_timeout: float = READY_TIMEOUT,
        cwd: Path | None = None,
    ) -> None:
        self.root = root
        self.port = free_port()
        self.env = child_environment(root, env or {})
        self.command = command or [sys.executable, "-m", "app", "--port", "{port}"]
        self.ready_path = ready_path
        self.ready_status = ready_status
        self.ready_timeout = ready_timeout
        self.cwd = cwd
        self.log_path = root / "server.log"
        self.returncode: int | None = None  # of the last stop(); None if it had to be killed
        self.stop_seconds = 0.0  # how long the last stop() took
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
            cwd=self.cwd,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    async def started(self) -> ChatServer:
        """`start` from a coroutine, without blocking the event loop (a receiver or browser may run on it)."""
        await asyncio.to_thread(self.start)
        return self

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

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, and wait up to `timeout` s; the exit code (None if it had to be killed or was not
        running). `stop_seconds` is how long it took."""
        started = time.monotonic()
        code = None
        if self._process is not None:
            self._process.terminate()
            try:
                code = self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(STOP_TIMEOUT)
            self._process = None
            self.returncode, self.stop_seconds = code, time.monotonic() - started
        self._close_log()
        return code

    async def stopped(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """`stop` from a coroutine, without blocking the event loop."""
        return await asyncio.to_thread(self.stop, timeout)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def output(self) -> str:
        """Everything the server wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log(self) -> str:
        """The end of `output()`, for an assertion message."""
        return self.output()[-4000:]


StartServer = Callable[..., ChatServer]


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Starts `python -m app` with the given environment (SQLite in its own folder unless DATABASE_URL is
    given), ready once `CHAT_ROOT_PATH`/healthz answers; every server it started is stopped after the test."""
    servers: list[ChatServer] = []

    def start(**env: str) -> ChatServer:
        root = tmp_path / f"server{len(servers)}"
        root.mkdir()
        server = ChatServer(root, env, ready_path=env.get("CHAT_ROOT_PATH", "") + "/healthz")
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()

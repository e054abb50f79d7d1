"""The real chat server in a child process, and a browser to use it, for the wire tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


def child_env(tmp: Path, otel: dict[str, str]) -> dict[str, str]:
    """The parent's environment without PYTEST_* (NiceGUI would switch to test mode), plus ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and not k.startswith("OTEL_")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'chat.db'}",
        CHAT_DATA_DIR=str(tmp / "data"),
        CHAT_ENV="dev",
        CHAT_RATE_LIMIT="0",
        PYTHONUNBUFFERED="1",
        OTEL_METRIC_EXPORT_INTERVAL="500",
        OTEL_BSP_SCHEDULE_DELAY="200",
        OTEL_BLRP_SCHEDULE_DELAY="200",
    )
    env.update(otel)
    return env


class ChatServer:
    """`python -m app` on a free port; stderr goes to a file the test can read."""

    def __init__(self, tmp: Path, otel: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "server.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app", "--port", str(self.port)],
            cwd=tmp,
            env=child_env(tmp, otel),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    async def ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        async with httpx.AsyncClient() as client:
            while True:
                assert self.process.poll() is None, f"server exited:\n{self.output()}"
                try:
                    if (await client.get(f"{self.url}/healthz", timeout=1.0)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"server not ready:\n{self.output()}"
                await asyncio.sleep(0.1)

    async def stop(self, timeout: float = 15.0) -> float:
        """SIGTERM, then wait; returns the seconds it took to exit (kills it past `timeout`)."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        while self.process.poll() is None and time.monotonic() - started < timeout:
            await asyncio.sleep(0.05)
        took = time.monotonic() - started
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log.close()
        return took

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

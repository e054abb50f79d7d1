"""The real command line serving HTTP: plain and with --reload."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], deadline: float = 60) -> httpx.Response:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        assert process.poll() is None, "server exited early"
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(url)


@pytest.mark.parametrize("flags", [[], ["--reload"]])
def test_serves_page_and_health(tmp_path: Path, flags: list[str]) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(CHAT_DATA_DIR=str(tmp_path / "data"), OTEL_SDK_DISABLED="true")
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--port", str(port), *flags],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        health = wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": "ok", "schema": "ok"}
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200
        assert "message_list" in page.text or "Messages" in page.text
        assert (tmp_path / "chat.db").exists(), "the default database is chat.db in the working directory"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


@pytest.mark.parametrize("changed", ["app/ui/static/chat.css", "app/ui/composer.js"])
def test_reload_restarts_on_css_and_js_and_only_the_worker_migrates(tmp_path: Path, changed: str) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(CHAT_DATA_DIR=str(tmp_path / "data"), OTEL_SDK_DISABLED="true")
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "--port", str(port), "--reload"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert wait_healthy(f"http://127.0.0.1:{port}/healthz", process).status_code == 200
        assert log_path.read_text().count("Context impl SQLiteImpl") == 1, "the reloader must not migrate"
        (ROOT / changed).touch()
        end = time.monotonic() + 30
        while log_path.read_text().count("Application startup complete") < 2:
            assert time.monotonic() < end, log_path.read_text()
            time.sleep(0.1)
        assert f"detected changes in '{ROOT / changed}'" in log_path.read_text()
        assert wait_healthy(f"http://127.0.0.1:{port}/healthz", process).status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)

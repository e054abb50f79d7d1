"""The real command line serving HTTP: plain and with --reload."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.process.cli.conftest import Serving, app_environment
from tests.support import ROOT


@pytest.mark.parametrize("flags", [[], ["--reload"]])
def test_serves_page_and_health(tmp_path: Path, flags: list[str]) -> None:
    env = app_environment(CHAT_DATA_DIR=str(tmp_path / "data"), OTEL_SDK_DISABLED="true")
    with Serving(tmp_path, env, *flags, stderr=subprocess.DEVNULL) as server:
        health = server.answer("/healthz")
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": "ok", "schema": "ok"}
        page = httpx.get(f"{server.url}/", timeout=10)
        assert page.status_code == 200
        assert "message_list" in page.text or "Messages" in page.text
        assert (tmp_path / "chat.db").exists(), "the default database is chat.db in the working directory"


@pytest.mark.parametrize("changed", ["app/ui/static/chat.css", "app/ui/composer.js"])
def test_reload_restarts_on_css_and_js_and_only_the_worker_migrates(tmp_path: Path, changed: str) -> None:
    env = app_environment(CHAT_DATA_DIR=str(tmp_path / "data"), OTEL_SDK_DISABLED="true")
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        server = Serving(tmp_path, env, "--reload", stdout=log, stderr=subprocess.STDOUT)
    with server:
        assert server.answer("/healthz").status_code == 200
        assert log_path.read_text().count("Context impl SQLiteImpl") == 1, "the reloader must not migrate"
        (ROOT / changed).touch()
        end = time.monotonic() + 30
        while log_path.read_text().count("Application startup complete") < 2:
            assert time.monotonic() < end, log_path.read_text()
            time.sleep(0.1)
        assert f"detected changes in '{ROOT / changed}'" in log_path.read_text()
        assert server.answer("/healthz").status_code == 200

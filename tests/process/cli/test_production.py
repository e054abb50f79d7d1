"""CHAT_ENV=prod as a process: JSON log lines on stderr, the data directory made at start."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.process.cli.conftest import Serving, app_environment
from tests.support.ports import free_port
from tests.support.server import ChatServer

STRONG = "p" * 40


def test_prod_server_logs_json_lines_and_makes_its_data_dir(tmp_path: Path) -> None:
    """Telemetry on (to a collector that is not there) and migrations pending, so the health check logs
    a warning inside its request span: every stderr line is JSON, that one with the span's ids."""
    data = tmp_path / "absent" / "data"
    (tmp_path / "chat.db").touch()
    env = app_environment(
        CHAT_ENV="prod",
        CHAT_STORAGE_SECRET=STRONG,
        CHAT_DATA_DIR=str(data),
        CHAT_AUTO_MIGRATE="0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'chat.db'}",
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{free_port()}",
        OTEL_METRICS_EXPORTER="none",
    )
    with Serving(tmp_path, env, stderr=subprocess.PIPE) as server:
        health = server.answer("/healthz")
        assert health.status_code == 503
        assert health.json() == {"status": "error", "database": "ok", "schema": "pending"}
        assert (data / "nicegui").is_dir(), "the data directory and NiceGUI's storage exist after start"
        assert not (data / "storage-secret").exists(), "with CHAT_STORAGE_SECRET no secret file is made"
    lines = server.stderr.decode().splitlines()
    assert lines, "the server logged nothing"
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line: {line!r}\n" + "\n".join(lines))
    assert all({"time", "level", "logger", "message"} <= set(record) for record in records)
    loggers = {record["logger"] for record in records}
    assert "uvicorn.error" in loggers, loggers  # uvicorn's own lines go through the same handler
    telemetry_on = next(r for r in records if r["message"].startswith("telemetry on"))
    assert "metrics: none" in telemetry_on["message"]
    schema = next(r for r in records if "database schema is pending" in r["message"])
    assert len(schema["trace_id"]) == 32 and len(schema["span_id"]) == 16


@pytest.mark.parametrize(("cookie_secure", "secure"), [(None, True), ("0", False)])
def test_prod_session_cookie_flags(tmp_path: Path, cookie_secure: str | None, secure: bool) -> None:
    env = {"CHAT_ENV": "prod", "CHAT_STORAGE_SECRET": STRONG}
    if cookie_secure is not None:
        env["CHAT_COOKIE_SECURE"] = cookie_secure
    server = ChatServer(tmp_path, env)
    server.start()
    try:
        page = httpx.get(f"{server.url}/", timeout=10)
    finally:
        server.stop()
    assert page.status_code == 200
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert ("; secure" in cookie) is secure, cookie

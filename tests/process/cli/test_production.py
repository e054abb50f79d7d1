"""CHAT_ENV=prod as a process: JSON log lines on stderr, the data directory made at start."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider

from app.config import load_settings
from app.log_format import HANDLER_NAME, configure_logging
from tests.support.server import ChatServer

STRONG = "p" * 40


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_answer(url: str, process: subprocess.Popen[bytes], deadline: float = 60) -> httpx.Response:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        assert process.poll() is None, "server exited early"
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)  # polling a condition with a deadline
    raise TimeoutError(url)


def test_configure_logging_writes_json_with_trace_ids(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    level = root.level
    try:
        configure_logging(load_settings(chat_env="prod", storage_secret=STRONG))
        configure_logging(load_settings(chat_env="prod", storage_secret=STRONG))  # idempotent: one handler
        assert [h.get_name() for h in root.handlers].count(HANDLER_NAME) == 1
        logging.getLogger("uvicorn.error").info("Started %s", "server", extra={"color_message": "\x1b[1mx"})
        with TracerProvider().get_tracer(__name__).start_as_current_span("request") as span:
            logging.getLogger("app.x").warning("inside a span")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("app.y").exception("failed")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    finally:
        for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
            root.removeHandler(handler)
        root.setLevel(level)
    started, in_span, failed = lines
    assert started["message"] == "Started server" and started["logger"] == "uvicorn.error"
    assert set(started) == {"time", "level", "logger", "message"}
    assert in_span["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert in_span["span_id"] == format(span.get_span_context().span_id, "016x")
    assert failed["level"] == "ERROR" and "ValueError: boom" in failed["exc_info"]


def test_dev_logs_are_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    try:
        configure_logging(load_settings(chat_env="dev"))
        logging.getLogger("app.z").info("hello")
        err = capsys.readouterr().err
    finally:
        for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
            root.removeHandler(handler)
    assert err.strip().endswith("INFO app.z: hello")


def test_prod_server_logs_json_lines_and_makes_its_data_dir(tmp_path: Path) -> None:
    """Telemetry on (to a collector that is not there) and migrations pending, so the health check logs
    a warning inside its request span: every stderr line is JSON, that one with the span's ids."""
    port = free_port()
    data = tmp_path / "absent" / "data"
    (tmp_path / "chat.db").touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "CHAT_", "OTEL_", "DATABASE"))}
    env.update(
        CHAT_ENV="prod",
        CHAT_STORAGE_SECRET=STRONG,
        CHAT_DATA_DIR=str(data),
        CHAT_AUTO_MIGRATE="0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'chat.db'}",
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{free_port()}",
        OTEL_METRICS_EXPORTER="none",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        health = wait_for_answer(f"http://127.0.0.1:{port}/healthz", process)
        assert health.status_code == 503
        assert health.json() == {"status": "error", "database": "ok", "schema": "pending"}
        assert (data / "nicegui").is_dir(), "the data directory and NiceGUI's storage exist after start"
        assert not (data / "storage-secret").exists(), "with CHAT_STORAGE_SECRET no secret file is made"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    lines = err.decode().splitlines()
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

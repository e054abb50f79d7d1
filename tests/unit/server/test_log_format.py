"""Log lines: JSON with the trace and span ids in production (CHAT_ENV=prod), plain text in development (the
server process's stderr: tests/process/cli/test_production.py)."""

from __future__ import annotations

import json
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider

from app.config import load_settings
from app.log_format import HANDLER_NAME, configure_logging

STRONG = "p" * 40


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

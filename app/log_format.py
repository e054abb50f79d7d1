"""Logging for the process: JSON lines on stderr in prod, plain text in dev, on the root logger.

Everything logs through the root logger's handler, uvicorn's loggers included (they keep propagating).
"""

from __future__ import annotations

import logging
import sys

from opentelemetry import trace
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from app.config import Settings

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# uvicorn passes a coloured copy of its message as an extra; the JSON line has the plain one
SKIPPED_EXTRAS = ("color_message",)
HANDLER_NAME = "chat-stderr"
QUIET_LOGGERS = {"alembic.runtime.plugins": logging.WARNING}


class TraceContext(logging.Filter):
    """Adds `trace_id` and `span_id` (hex) of the span the record was logged in, when there is one."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        return True


def json_formatter() -> logging.Formatter:
    """`{"level", "logger", "message", "time"}` plus any extras (trace_id, span_id, exc_info)."""
    return JsonFormatter(
        ["levelname", "name", "message"],
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        reserved_attrs=[*RESERVED_ATTRS, *SKIPPED_EXTRAS],
    )


def configure_logging(settings: Settings, level: int = logging.INFO) -> None:
    """Replace the root logger's handlers with one stderr handler (JSON in prod); idempotent."""
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    if settings.is_prod:
        handler.setFormatter(json_formatter())
        handler.addFilter(TraceContext())
    else:
        handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(quiet)

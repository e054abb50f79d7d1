"""opentelemetry-api: a trace context emptied in place.

A `Context` is a dict (immutable by contract: its `__setitem__` raises); `dict.clear` empties one that
tasks have copied, so a tab's long-lived tasks no longer keep its page request's finished span
(app/telemetry/tracing.py). The logs API still lives in the private module `opentelemetry._logs`.
"""

from __future__ import annotations

import importlib
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.context import Context

from app.patches.moved import require

LIBRARY = "opentelemetry-api"
PINNED = "1.45.2"
USES = "Context is a dict, opentelemetry._logs"


def empty_in_place(context: Context) -> None:
    dict.clear(context)


def problems() -> list[str]:
    found = []
    context_class: Any = otel_context.Context
    if not issubclass(context_class, dict):
        found.append("Context is no longer a dict")
    else:
        context = context_class({"probe": 1})
        empty_in_place(context)
        if context or context.get("probe") is not None:
            found.append("a Context emptied with dict.clear still holds its values")
    try:
        logs = importlib.import_module("opentelemetry._logs")
    except ImportError:
        found.append("opentelemetry._logs is gone")
    else:
        if not hasattr(logs, "set_logger_provider"):
            found.append("opentelemetry._logs.set_logger_provider is gone")
    return found


def check() -> None:
    require(LIBRARY, PINNED, problems())

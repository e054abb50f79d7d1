"""opentelemetry-exporter-otlp-proto-http: which logger each signal's exporter complains through, and a
metric exporter whose preferences are where the SDK's MetricExporter keeps them.

Each exporter module logs its failed batches through a logger named after the module; app/telemetry/outage.py
tells the signals apart by that name (`EXPORTER_LOGGERS`). The log exporter lives in the private module
`_log_exporter`. `OTLPMetricExporter` must pass its preferences to `MetricExporter.__init__`, where the
outage wrapper reads them (app/patches/opentelemetry_sdk.py).
"""

from __future__ import annotations

import importlib
from typing import Any

from app.patches.moved import require

LIBRARY = "opentelemetry-exporter-otlp-proto-http"
PINNED = "1.45.2"
USES = "the trace_exporter/metric_exporter/_log_exporter loggers, OTLPMetricExporter._preferred_temporality"

PACKAGE = "opentelemetry.exporter.otlp.proto.http"
EXPORTER_LOGGERS = {  # signal -> the module whose logger reports its failed exports
    "traces": f"{PACKAGE}.trace_exporter",
    "metrics": f"{PACKAGE}.metric_exporter",
    "logs": f"{PACKAGE}._log_exporter",
}
EXPORTERS = {"traces": "OTLPSpanExporter", "metrics": "OTLPMetricExporter", "logs": "OTLPLogExporter"}


def problems() -> list[str]:
    found = []
    for signal, module_name in EXPORTER_LOGGERS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            found.append(f"{module_name} is gone")
            continue
        if not hasattr(module, EXPORTERS[signal]):
            found.append(f"{module_name}.{EXPORTERS[signal]} is gone")
        if getattr(getattr(module, "_logger", None), "name", None) != module_name:
            found.append(f"{module_name} no longer logs through its own logger")
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    exporter: Any = OTLPMetricExporter(endpoint="http://127.0.0.1:9/v1/metrics")
    try:
        if not isinstance(getattr(exporter, "_preferred_temporality", None), dict):
            found.append(
                "OTLPMetricExporter no longer keeps its preferred temporality where MetricExporter does"
            )
    finally:
        exporter.shutdown()
    return found


def check() -> None:
    require(LIBRARY, PINNED, problems())

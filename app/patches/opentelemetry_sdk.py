"""opentelemetry-sdk: a metric exporter's preferences, the batch processors' logger, the logs SDK's home.

`MetricExporter.__init__` keeps the preferred temporality and aggregation in `_preferred_temporality` and
`_preferred_aggregation`, and `PeriodicExportingMetricReader` reads them from its exporter there: a wrapper
around an exporter (app/telemetry/outage.py) passes the inner one's on. The batch processors log each
dropped span ("Queue full") through the logger of `opentelemetry.sdk._shared_internal`. The logs SDK
still lives in the private modules `opentelemetry.sdk._logs` and `opentelemetry.sdk._logs.export`.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.metrics.view import Aggregation

from app.patches.moved import names_used, require

LIBRARY = "opentelemetry-sdk"
PINNED = "1.45.2"
USES = (
    "MetricExporter._preferred_temporality/_preferred_aggregation, the _shared_internal logger, "
    "opentelemetry.sdk._logs"
)

QUEUE_LOGGER = "opentelemetry.sdk._shared_internal"
LOGS_SDK = {
    "opentelemetry.sdk._logs": ("LoggerProvider", "ReadableLogRecord"),
    "opentelemetry.sdk._logs.export": (
        "BatchLogRecordProcessor",
        "ConsoleLogRecordExporter",
        "LogRecordExporter",
        "LogRecordExportResult",
    ),
}


def preferred_temporality(exporter: MetricExporter) -> dict[type, AggregationTemporality] | None:
    temporality: dict[type, AggregationTemporality] | None = exporter._preferred_temporality
    return temporality


def preferred_aggregation(exporter: MetricExporter) -> dict[type, Aggregation] | None:
    aggregation: dict[type, Aggregation] | None = exporter._preferred_aggregation
    return aggregation


def quiet_queue_full_warnings() -> None:
    """The batch processors' one warning per dropped item (under load during an outage) is not logged."""
    logging.getLogger(QUEUE_LOGGER).setLevel(logging.ERROR)


class _Probe(MetricExporter):
    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any) -> Any:
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        return None


def problems() -> list[str]:
    found = []
    temporality: dict[type, AggregationTemporality] = {int: AggregationTemporality.DELTA}
    aggregation: dict[type, Aggregation] = {}
    exporter: Any = _Probe(preferred_temporality=temporality, preferred_aggregation=aggregation)
    if getattr(exporter, "_preferred_temporality", None) is not temporality:
        found.append("MetricExporter._preferred_temporality is gone")
    if getattr(exporter, "_preferred_aggregation", None) is not aggregation:
        found.append("MetricExporter._preferred_aggregation is gone")
    if not {"_preferred_temporality", "_preferred_aggregation"} <= names_used(
        PeriodicExportingMetricReader.__init__
    ):
        found.append("PeriodicExportingMetricReader no longer reads its exporter's _preferred_* settings")
    try:
        shared = importlib.import_module(QUEUE_LOGGER)
    except ImportError:
        found.append(f"{QUEUE_LOGGER} (the batch processors' logger) is gone")
    else:
        if getattr(getattr(shared, "_logger", None), "name", None) != QUEUE_LOGGER:
            found.append(f"the batch processors no longer log through the {QUEUE_LOGGER} logger")
    for module_name, names in LOGS_SDK.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            found.append(f"{module_name} is gone")
            continue
        found += [f"{module_name}.{name} is gone" for name in names if not hasattr(module, name)]
    return found


def check() -> None:
    require(LIBRARY, PINNED, problems())

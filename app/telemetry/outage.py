"""One warning per signal when its exports start failing and one line when they work again, instead of
one error per failed batch; and a deadline on exports."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from app.config import mask_url
from app.patches.opentelemetry_exporter_otlp_proto_http import EXPORTER_LOGGERS
from app.patches.opentelemetry_sdk import (
    preferred_aggregation,
    preferred_temporality,
    quiet_queue_full_warnings,
)

log = logging.getLogger(__name__)

EXPORTER_LOGGER = "opentelemetry.exporter"


# the last part of an exporter's logger name -> its signal: "trace_exporter" -> "traces"
SIGNAL_OF_LOGGER = {module.rsplit(".", 1)[-1]: signal for signal, module in EXPORTER_LOGGERS.items()}


class ExportHealth:
    """Tracks, per signal (traces, metrics, logs), whether exports fail: one warning when a signal starts
    failing and one info line when that signal exports again.

    Each signal is judged by its own exports only: logs are exported only when the app logs, so they may
    recover later than traces and metrics, and each recovery is reported on its own.
    The OTLP exporters log an error for every failed batch; `quiet_exporter_logs` routes those here,
    where the signal's latest one becomes the detail of its outage warning.
    """

    def __init__(
        self, endpoint: str, endpoints: dict[str, str] | None = None, report_level: int = logging.WARNING
    ) -> None:
        self.endpoint = endpoint
        self.endpoints = endpoints or {}
        self.report_level = report_level  # of the "is failing" line (a one-shot command: INFO)
        self._failing: set[str] = set()
        self._details: dict[str, str] = {}
        self._lock = threading.Lock()
        self._deadline: float | None = None
        self.outages = 0

    def where(self, signal: str) -> str:
        return mask_url(self.endpoints.get(signal, self.endpoint))

    def failing(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._failing)

    def failed(self, signal: str) -> None:
        with self._lock:
            starts = signal not in self._failing
            self._failing.add(signal)
            if starts:
                self.outages += 1
            detail = self._details.pop(signal, "")
        if starts:
            log.log(
                self.report_level,
                "telemetry export of %s to %s is failing%s; %s are dropped until it answers again, "
                "the chat is not affected",
                signal,
                self.where(signal),
                f" ({detail})" if detail else "",
                signal,
            )

    def succeeded(self, signal: str) -> None:
        with self._lock:
            recovered = signal in self._failing
            self._failing.discard(signal)
            self._details.pop(signal, None)
        if recovered:
            log.info("telemetry export of %s to %s works again", signal, self.where(signal))

    def note(self, detail: str, signal: str = "") -> None:
        """Keep the first complaint per signal: it names the cause (refused, timed out, status)."""
        with self._lock:
            for name in [signal] if signal else ["traces", "metrics", "logs"]:
                self._details.setdefault(name, detail)

    def give_up_at(self, deadline: float) -> None:
        """From `deadline` (time.monotonic) on, exports fail at once instead of trying the network."""
        self._deadline = deadline

    @property
    def expired(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline


class _Collect(logging.Handler):
    def __init__(self, health: ExportHealth) -> None:
        super().__init__()
        self._health = health

    def emit(self, record: logging.LogRecord) -> None:
        module = record.name.rsplit(".", 1)[-1]
        self._health.note(record.getMessage(), SIGNAL_OF_LOGGER.get(module, ""))


def quiet_exporter_logs(health: ExportHealth) -> None:
    """Send the exporters' per-batch complaints to `health` instead of the log; the SDK's
    'queue full' warnings (one per dropped span under load during an outage) are dropped too."""
    exporter_logger = logging.getLogger(EXPORTER_LOGGER)
    exporter_logger.propagate = False
    exporter_logger.handlers = [_Collect(health)]
    quiet_queue_full_warnings()


class GuardedSpanExporter(SpanExporter):
    def __init__(self, inner: SpanExporter, health: ExportHealth) -> None:
        self._inner = inner
        self._health = health

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        ok = not self._health.expired and _try(lambda: self._inner.export(spans) == SpanExportResult.SUCCESS)
        _report(self._health, "traces", ok)
        return SpanExportResult.SUCCESS if ok else SpanExportResult.FAILURE

    def shutdown(self) -> None:
        _quietly(self._inner.shutdown)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return _try(lambda: self._inner.force_flush(timeout_millis))


class GuardedMetricExporter(MetricExporter):
    def __init__(self, inner: MetricExporter, health: ExportHealth) -> None:
        super().__init__(
            preferred_temporality=preferred_temporality(inner),
            preferred_aggregation=preferred_aggregation(inner),
        )
        self._inner = inner
        self._health = health

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: object
    ) -> MetricExportResult:
        ok = not self._health.expired and _try(
            lambda: (
                self._inner.export(metrics_data, timeout_millis=timeout_millis) == MetricExportResult.SUCCESS
            )
        )
        _report(self._health, "metrics", ok)
        return MetricExportResult.SUCCESS if ok else MetricExportResult.FAILURE

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return _try(lambda: self._inner.force_flush(timeout_millis))

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: object) -> None:
        _quietly(lambda: self._inner.shutdown(timeout_millis=timeout_millis))


class GuardedLogExporter(LogRecordExporter):
    def __init__(self, inner: LogRecordExporter, health: ExportHealth) -> None:
        self._inner = inner
        self._health = health

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        ok = not self._health.expired and _try(
            lambda: self._inner.export(batch) == LogRecordExportResult.SUCCESS
        )
        _report(self._health, "logs", ok)
        return LogRecordExportResult.SUCCESS if ok else LogRecordExportResult.FAILURE

    def shutdown(self) -> None:
        _quietly(self._inner.shutdown)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return _try(lambda: self._inner.force_flush(timeout_millis))


def _try(attempt: Callable[[], object]) -> bool:
    """Run `attempt`; a falsy result or any exception is a failure, and no exception escapes."""
    try:
        return bool(attempt())
    except Exception as error:
        log.debug("telemetry exporter raised %r", error)
        return False


def _quietly(action: Callable[[], None]) -> None:
    try:
        action()
    except Exception as error:
        log.debug("telemetry exporter raised %r on shutdown", error)


def _report(health: ExportHealth, signal: str, ok: bool) -> None:
    if ok:
        health.succeeded(signal)
    else:
        health.failed(signal)

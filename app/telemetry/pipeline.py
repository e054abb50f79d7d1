"""Providers, processors and exporters, configured from the standard OTEL_* environment variables."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from opentelemetry import metrics, trace
from opentelemetry._logs import set_logger_provider
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, ConsoleLogRecordExporter
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, ExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.trace import NoOpTracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings, mask_url
from app.telemetry.broadcast import BroadcastTimer
from app.telemetry.instrument import instrument_app, instrument_engine
from app.telemetry.logs import OtlpLogHandler
from app.telemetry.metrics import ChatInstruments, chat_views, observe_chat
from app.telemetry.outage import (
    ExportHealth,
    GuardedLogExporter,
    GuardedMetricExporter,
    GuardedSpanExporter,
    quiet_exporter_logs,
)
from app.telemetry.propagation import TracePropagation
from app.telemetry.resource import build_resource
from app.telemetry.runtime import RuntimeMonitor

log = logging.getLogger(__name__)

EXPORT_TIMEOUT_SECONDS = 2.0
SHUTDOWN_SECONDS = 4.0
EXPORTER_CHOICES = ("otlp", "console", "none")
SIGNALS = ("traces", "metrics", "logs")


@dataclass(frozen=True)
class Deadlines:
    """How long telemetry waits for the collector, and how loudly it says that it is not there."""

    export_seconds: float  # one OTLP request of one signal, the exporter's retries included
    shutdown_seconds: float  # the last flush of every signal, at exit
    report_level: int = logging.WARNING  # of the "export is failing" and "shutdown gave up" lines


SERVER = Deadlines(EXPORT_TIMEOUT_SECONDS, SHUTDOWN_SECONDS)
# A one-shot command (`delete-message`) prints its result and exits: it waits at most a second for a
# collector, and a missing one is an INFO line, not a warning after the result. 0.4 s per request is below
# the exporter's first retry backoff (1 s +-20 %), so a refused connection fails at once instead of
# sleeping to retry, and its two signals (a span, a count) fit in the second even when the collector hangs.
ONE_SHOT = Deadlines(export_seconds=0.4, shutdown_seconds=1.0, report_level=logging.INFO)


class Telemetry:
    """The process's telemetry; every method is a cheap no-op when it is disabled."""

    def __init__(
        self,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        logger_provider: LoggerProvider | None = None,
        health: ExportHealth | None = None,
        deadlines: Deadlines = SERVER,
    ) -> None:
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.logger_provider = logger_provider
        self.health = health
        self.deadlines = deadlines
        self._undo: list[Callable[[], None]] = []
        self._stopped = False

    @property
    def enabled(self) -> bool:
        return self.tracer_provider is not None

    def instrument_engine(self, engine: AsyncEngine) -> None:
        if self.enabled:
            self._undo.append(instrument_engine(engine, self.tracer_provider, self.meter_provider))

    def instrument_app(self, app: FastAPI) -> None:
        if self.enabled:
            self._undo.append(instrument_app(app, self.tracer_provider, self.meter_provider))

    def chat_metrics(self) -> ChatInstruments:
        return ChatInstruments(self.meter_provider or NoOpMeterProvider())

    def runtime_monitor(self) -> RuntimeMonitor | None:
        """Event-loop lag and GC pauses, when metrics are exported."""
        return RuntimeMonitor(self.meter_provider) if self.meter_provider is not None else None

    def trace_propagation(self) -> TracePropagation | None:
        """For the PostgreSQL bus: the sender's trace context in the payload (None when disabled)."""
        return TracePropagation() if self.enabled else None

    def broadcast_timer(self) -> BroadcastTimer:
        return BroadcastTimer(
            self.tracer_provider or NoOpTracerProvider(), self.meter_provider or NoOpMeterProvider()
        )

    def observe(
        self,
        users_online: Callable[[], int],
        tabs_connected: Callable[[], int],
        cluster_online: Callable[[], int] | None = None,
    ) -> None:
        if self.meter_provider is not None:
            observe_chat(users_online, tabs_connected, self.meter_provider, cluster_online)

    def on_shutdown(self, undo: Callable[[], None]) -> None:
        self._undo.append(undo)

    def uninstrument(self) -> None:
        """Undo the instrumentation and the log handler; the providers keep running."""
        while self._undo:
            self._undo.pop()()

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush what can be sent within `timeout` seconds (default: the deadlines' shutdown_seconds), then
        stop; True if it all finished in time.

        The SDK's flush and shutdown may take longer than the timeout they are given (each exporter
        attempt has its own timeout, and there are several batches and signals), so they run on a
        daemon thread that is abandoned at the deadline; exports after it fail at once.
        """
        if self._stopped:
            return True
        self._stopped = True
        self.uninstrument()
        if not self.enabled:
            return True
        timeout = self.deadlines.shutdown_seconds if timeout is None else timeout
        deadline = time.monotonic() + timeout
        if self.health is not None:
            self.health.give_up_at(deadline)
        worker = threading.Thread(target=self._flush_and_stop, args=(timeout,), name="telemetry shutdown")
        worker.daemon = True
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            log.log(
                self.deadlines.report_level,
                "telemetry shutdown gave up after %.1f s; unsent telemetry is dropped",
                timeout,
            )
            return False
        return True

    def _flush_and_stop(self, timeout: float) -> None:
        millis = int(timeout * 1000)
        for provider in (self.tracer_provider, self.logger_provider):
            if provider is not None:
                provider.force_flush(millis)
        if self.meter_provider is not None:
            self.meter_provider.shutdown(timeout_millis=millis)
        for provider in (self.tracer_provider, self.logger_provider):
            if provider is not None:
                provider.shutdown()


def exporter_choice(variable: str) -> list[str]:
    """The exporters named by OTEL_{TRACES,METRICS,LOGS}_EXPORTER (default `otlp`; `none` for none)."""
    chosen = []
    for name in os.environ.get(variable, "otlp").lower().split(","):
        name = name.strip()
        if name not in EXPORTER_CHOICES:
            log.warning("%s: unsupported exporter %r ignored (use otlp, console or none)", variable, name)
        elif name != "none":
            chosen.append(name)
    return chosen


def signal_endpoint(base: str, signal: str) -> str:
    """Where `signal` is sent over OTLP/HTTP: OTEL_EXPORTER_OTLP_{SIGNAL}_ENDPOINT, or base + /v1/…"""
    own = os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT")
    return own or f"{base.rstrip('/')}/v1/{signal}"


def describe_exports(chosen: dict[str, list[str]], endpoints: dict[str, str]) -> str:
    """`traces: otlp http://…/v1/traces, metrics: console, logs: none` (passwords masked)."""
    parts = []
    for signal in SIGNALS:
        names = [f"otlp {mask_url(endpoints[signal])}" if name == "otlp" else name for name in chosen[signal]]
        parts.append(f"{signal}: {' + '.join(names) or 'none'}")
    return ", ".join(parts)


def exemplar_filter() -> ExemplarFilter | None:
    """No exemplars unless OTEL_METRICS_EXEMPLAR_FILTER asks for them (then the SDK reads it).

    The SDK's default samples an exemplar (the value with its trace and span id) on every measurement
    made inside a sampled span: about a tenth of telemetry's CPU per message, for links no chart of
    ours shows; the spans already carry the message length.
    """
    return None if os.environ.get("OTEL_METRICS_EXEMPLAR_FILTER") else AlwaysOffExemplarFilter()


def start_telemetry(settings: Settings, deadlines: Deadlines = SERVER) -> Telemetry:
    """Set up traces, metrics and logs from the environment and make them the process's global providers.

    `deadlines`: SERVER for the chat server, ONE_SHOT for a command that exits when done.
    With OTEL_SDK_DISABLED=true nothing is set up: the OpenTelemetry API stays on its no-op providers.
    """
    if settings.otel_disabled:
        return Telemetry()
    timeout = deadlines.export_seconds
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    if protocol != "http/protobuf":
        log.warning("OTEL_EXPORTER_OTLP_PROTOCOL=%s is not supported; using http/protobuf", protocol)
    endpoints = {signal: signal_endpoint(settings.otel_endpoint, signal) for signal in SIGNALS}
    health = ExportHealth(settings.otel_endpoint, endpoints, report_level=deadlines.report_level)
    chosen = {signal: exporter_choice(f"OTEL_{signal.upper()}_EXPORTER") for signal in SIGNALS}
    quiet_exporter_logs(health)
    resource = build_resource(settings)

    tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)  # OTEL_TRACES_SAMPLER
    for name in chosen["traces"]:
        span_exporter = ConsoleSpanExporter() if name == "console" else OTLPSpanExporter(timeout=timeout)
        tracer_provider.add_span_processor(BatchSpanProcessor(GuardedSpanExporter(span_exporter, health)))

    readers = [
        PeriodicExportingMetricReader(
            GuardedMetricExporter(
                ConsoleMetricExporter() if name == "console" else OTLPMetricExporter(timeout=timeout),
                health,
            )
        )
        for name in chosen["metrics"]
    ]
    meter_provider = MeterProvider(
        resource=resource,
        metric_readers=readers,
        views=chat_views(),
        exemplar_filter=exemplar_filter(),
        shutdown_on_exit=False,
    )

    logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    for name in chosen["logs"]:
        log_exporter = ConsoleLogRecordExporter() if name == "console" else OTLPLogExporter(timeout=timeout)
        logger_provider.add_log_record_processor(
            BatchLogRecordProcessor(GuardedLogExporter(log_exporter, health))
        )

    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    set_logger_provider(logger_provider)
    telemetry = Telemetry(tracer_provider, meter_provider, logger_provider, health, deadlines)
    handler = OtlpLogHandler(logger_provider)
    logging.getLogger().addHandler(handler)
    telemetry.on_shutdown(lambda: logging.getLogger().removeHandler(handler))
    atexit.register(telemetry.shutdown)
    log.info(
        "telemetry on: service %s; %s",
        resource.attributes.get("service.name"),
        describe_exports(chosen, endpoints),
    )
    return telemetry

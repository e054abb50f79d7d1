"""Python logging to OTLP, beside stderr: each record carries the trace and span ids of its context."""

from __future__ import annotations

from opentelemetry.instrumentation.logging.handler import LoggingHandler
from opentelemetry.sdk._logs import LoggerProvider


class OtlpLogHandler(LoggingHandler):
    """The OpenTelemetry handler, minus its own records (which would loop) and its flush-on-exit.

    The stock `flush` starts a non-daemon thread that flushes the provider, which `logging.shutdown`
    calls at exit: with a hung collector that would hold the process. `Telemetry.shutdown` flushes
    under a deadline instead.
    """

    def __init__(self, logger_provider: LoggerProvider) -> None:
        super().__init__(logger_provider=logger_provider)
        self.addFilter(lambda record: not record.name.startswith("opentelemetry"))

    def flush(self) -> None:
        pass

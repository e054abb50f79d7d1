"""Export failures: one warning per outage, never an exception, and a shutdown that keeps its deadline."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from app.telemetry import Telemetry
from app.telemetry.outage import ExportHealth, GuardedSpanExporter, quiet_exporter_logs
from app.telemetry.pipeline import SIGNALS, describe_exports, exporter_choice, signal_endpoint


class Scripted(SpanExporter):
    """Answers from a script: True succeeds, False fails, an exception is raised."""

    def __init__(self, *answers: bool | Exception) -> None:
        self.answers = list(answers)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return SpanExportResult.SUCCESS if answer else SpanExportResult.FAILURE


class Hung(SpanExporter):
    def __init__(self) -> None:
        self.release = threading.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.release.wait()
        return SpanExportResult.FAILURE


def outage_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.levelname for r in caplog.records if r.name == "app.telemetry.outage"]


def outage_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "app.telemetry.outage"]


def test_one_warning_per_outage_and_a_note_on_recovery(caplog: pytest.LogCaptureFixture) -> None:
    health = ExportHealth("http://collector:4318")
    exporter = GuardedSpanExporter(Scripted(False, ConnectionError("refused"), False, True, False), health)
    caplog.set_level(logging.INFO, "app.telemetry.outage")
    results = [exporter.export([]) for _ in range(5)]
    assert results == [SpanExportResult.FAILURE] * 3 + [SpanExportResult.SUCCESS, SpanExportResult.FAILURE]
    assert outage_lines(caplog) == ["WARNING", "INFO", "WARNING"]
    assert health.outages == 2


def test_shutdown_keeps_its_deadline_with_a_hung_exporter() -> None:
    hung = Hung()
    provider = TracerProvider(shutdown_on_exit=False)
    health = ExportHealth("http://collector:4318")
    processor = BatchSpanProcessor(GuardedSpanExporter(hung, health))
    provider.add_span_processor(processor)
    provider.get_tracer(__name__).start_span("waiting").end()
    try:
        assert Telemetry(provider, health=health).shutdown(timeout=0.3) is False
        assert health.expired  # exports still queued fail at once instead of trying the network
    finally:
        hung.release.set()
        processor.shutdown()  # its export thread ends here, not while a later test captures the log


def test_each_signal_reports_its_own_failure_and_recovery(caplog: pytest.LogCaptureFixture) -> None:
    """Logs fail first and stay quiet (the app logs little): traces still report that they work again."""
    endpoints = {signal: f"http://collector:4318/v1/{signal}" for signal in ("traces", "metrics", "logs")}
    health = ExportHealth("http://collector:4318", endpoints)
    caplog.set_level(logging.INFO, "app.telemetry.outage")
    health.note("Connection refused", "logs")
    health.failed("logs")
    health.failed("traces")
    health.failed("traces")  # the same outage: no second warning
    health.succeeded("traces")
    assert outage_messages(caplog) == [
        "telemetry export of logs to http://collector:4318/v1/logs is failing (Connection refused); "
        "logs are dropped until it answers again, the chat is not affected",
        "telemetry export of traces to http://collector:4318/v1/traces is failing; "
        "traces are dropped until it answers again, the chat is not affected",
        "telemetry export of traces to http://collector:4318/v1/traces works again",
    ]
    assert health.failing() == {"logs"}
    health.succeeded("logs")
    assert (
        outage_messages(caplog)[-1] == "telemetry export of logs to http://collector:4318/v1/logs works again"
    )
    assert health.failing() == frozenset()
    assert health.outages == 2


def test_exporter_complaints_are_kept_per_signal(caplog: pytest.LogCaptureFixture) -> None:
    health = ExportHealth("http://collector:4318")
    quiet_exporter_logs(health)
    caplog.set_level(logging.INFO, "app.telemetry.outage")
    logging.getLogger("opentelemetry.exporter.otlp.proto.http.metric_exporter").error("metrics: status 500")
    logging.getLogger("opentelemetry.exporter.otlp.proto.http.trace_exporter").error("traces: refused")
    health.failed("traces")
    health.failed("metrics")
    messages = outage_messages(caplog)
    assert "(traces: refused)" in messages[0] and "(metrics: status 500)" in messages[1]


def test_passwords_in_the_endpoint_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    health = ExportHealth("http://user:token@collector:4318")
    caplog.set_level(logging.INFO, "app.telemetry.outage")
    health.failed("metrics")
    assert "http://user:***@collector:4318" in outage_messages(caplog)[0]
    assert "token" not in outage_messages(caplog)[0]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {},
            "traces: otlp http://c:4318/v1/traces, metrics: otlp http://c:4318/v1/metrics, "
            "logs: otlp http://c:4318/v1/logs",
        ),
        (
            {
                "OTEL_TRACES_EXPORTER": "console",
                "OTEL_METRICS_EXPORTER": "none",
                "OTEL_LOGS_EXPORTER": "otlp,console",
                "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://logs:9000/in",
            },
            "traces: console, metrics: none, logs: otlp http://logs:9000/in + console",
        ),
    ],
)
def test_the_status_line_names_what_is_exported(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name in (
        "OTEL_TRACES_EXPORTER",
        "OTEL_METRICS_EXPORTER",
        "OTEL_LOGS_EXPORTER",
        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    chosen = {signal: exporter_choice(f"OTEL_{signal.upper()}_EXPORTER") for signal in SIGNALS}
    endpoints = {signal: signal_endpoint("http://c:4318/", signal) for signal in SIGNALS}
    assert describe_exports(chosen, endpoints) == expected

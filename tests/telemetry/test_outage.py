"""Export failures: one warning per outage, never an exception, and a shutdown that keeps its deadline."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from app.telemetry import Telemetry
from app.telemetry.outage import ExportHealth, GuardedSpanExporter


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
    provider.add_span_processor(BatchSpanProcessor(GuardedSpanExporter(hung, health)))
    provider.get_tracer(__name__).start_span("waiting").end()
    try:
        assert Telemetry(provider, health=health).shutdown(timeout=0.3) is False
        assert health.expired  # exports still queued fail at once instead of trying the network
    finally:
        hung.release.set()

"""A one-shot command (`delete-message`) with telemetry on does not wait for a collector that is not there:
each OTLP request and the last flush have short deadlines, and a missing collector is no warning (the
command's own process: tests/process/telemetry/test_delete_command.py)."""

from __future__ import annotations

import asyncio
import atexit
import logging
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from app.admin import run_admin
from app.config import Settings
from app.store.database import create_engine
from app.store.messages import MessageStore
from app.telemetry import pipeline
from app.telemetry.outage import ExportHealth, GuardedSpanExporter
from app.telemetry.pipeline import ONE_SHOT, SERVER, Deadlines, Telemetry
from tests.support.ports import free_port
from tests.unit.telemetry.test_outage import Hung

# The OTLP exporter's first retry waits 1 s +-20 %: a request deadline below that fails a refused
# connection at once instead of sleeping to retry.
FIRST_RETRY_BACKOFF_MIN = 0.8
OTLP_EXPORTERS = ("OTLPSpanExporter", "OTLPMetricExporter", "OTLPLogExporter")


def add_message(settings: Settings) -> int:
    async def add() -> int:
        store = MessageStore(create_engine(settings.async_url))
        try:
            message = await store.add("eve", "abusive")
        finally:
            await store.engine.dispose()
        assert message.id is not None
        return message.id

    return asyncio.run(add())


def recording(name: str, real: Callable[..., Any], given: dict[str, float | None]) -> Callable[..., Any]:
    """`real` (an exporter class), noting in `given` the timeout it is made with."""

    def make(*args: Any, **kwargs: Any) -> Any:
        given[name] = kwargs.get("timeout")
        return real(*args, **kwargs)

    return make


def test_one_shot_deadlines_fit_in_a_second() -> None:
    assert ONE_SHOT.shutdown_seconds <= 1.0
    assert ONE_SHOT.export_seconds < FIRST_RETRY_BACKOFF_MIN
    assert 2 * ONE_SHOT.export_seconds <= ONE_SHOT.shutdown_seconds  # a span and a count, collector hung
    assert ONE_SHOT.report_level < logging.WARNING
    assert (SERVER.export_seconds, SERVER.shutdown_seconds, SERVER.report_level) == (
        2.0,
        4.0,
        logging.WARNING,
    )


def test_delete_message_gives_telemetry_the_one_shot_deadlines(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fake OTLP exporters record the timeout they are given, the shutdown records its deadline."""
    given: dict[str, float | None] = {}
    for name in OTLP_EXPORTERS:
        monkeypatch.setattr(pipeline, name, recording(name, getattr(pipeline, name), given))
    flush = Telemetry._flush_and_stop

    def recorded_flush(self: Telemetry, timeout: float) -> None:
        given["shutdown"] = timeout
        flush(self, timeout)

    monkeypatch.setattr(Telemetry, "_flush_and_stop", recorded_flush)
    # the process's global providers and exit hooks stay those of the other tests
    monkeypatch.setattr(pipeline.trace, "set_tracer_provider", lambda provider: None)
    monkeypatch.setattr(pipeline.metrics, "set_meter_provider", lambda provider: None)
    monkeypatch.setattr(pipeline, "set_logger_provider", lambda provider: None)
    monkeypatch.setattr(atexit, "register", lambda function: function)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{free_port()}")  # nobody listens
    monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)
    for signal in ("TRACES", "METRICS", "LOGS"):
        monkeypatch.delenv(f"OTEL_{signal}_EXPORTER", raising=False)
        monkeypatch.delenv(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT", raising=False)

    assert run_admin(["delete-message", str(add_message(settings))], "chat") == 0
    export = ONE_SHOT.export_seconds
    assert given == {**dict.fromkeys(OTLP_EXPORTERS, export), "shutdown": ONE_SHOT.shutdown_seconds}


def test_a_late_one_shot_shutdown_is_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    """With a hung collector the shutdown gives up at its deadline, and says so at INFO only."""
    hung = Hung()
    provider = TracerProvider(shutdown_on_exit=False)
    health = ExportHealth("http://collector:4318", report_level=logging.INFO)
    processor = BatchSpanProcessor(GuardedSpanExporter(hung, health))
    provider.add_span_processor(processor)
    provider.get_tracer(__name__).start_span("waiting").end()
    caplog.set_level(logging.INFO)
    try:
        one_shot = Deadlines(export_seconds=0.1, shutdown_seconds=0.3, report_level=logging.INFO)
        assert Telemetry(provider, health=health, deadlines=one_shot).shutdown() is False
    finally:
        hung.release.set()
        processor.shutdown()
    gave_up = [r for r in caplog.records if "gave up" in r.getMessage()]
    assert [(r.levelno, r.getMessage()) for r in gave_up] == [
        (logging.INFO, "telemetry shutdown gave up after 0.3 s; unsent telemetry is dropped")
    ]
    health.failed("traces")
    assert [r.levelno for r in caplog.records if "is failing" in r.getMessage()] == [logging.INFO]

"""The shape of what the chat emits, read from the SDK's in-memory span exporter and metric reader."""

from __future__ import annotations

import asyncio
import logging

import pytest
from opentelemetry import trace
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from app.main import Chat
from app.telemetry import in_current_context, traced
from app.telemetry.logs import OtlpLogHandler
from tests.support.users import NewUser, http_client, join, send, shown, type_name, until
from tests.unit.telemetry.conftest import Metrics


def named(spans: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [s for s in spans.get_finished_spans() if s.name == name]


async def test_send_is_a_root_span_with_the_queries_as_children(
    new_user: NewUser, chat: Chat, spans: InMemorySpanExporter, metrics: Metrics
) -> None:
    ann = new_user()
    await join(ann, "Ann")
    await send(ann, "hello spans")
    await until(lambda: shown(ann) == [("Ann", "hello spans")])
    await until(lambda: bool(named(spans, "chat.send_message")) and bool(named(spans, "chat.broadcast")))

    [handler] = named(spans, "chat.send_message")
    assert handler.parent is None
    assert handler.attributes == {"chat.user.type": "guest", "chat.message.length": len("hello spans")}
    assert handler.context is not None
    children = [
        s for s in spans.get_finished_spans() if s.parent and s.parent.span_id == handler.context.span_id
    ]
    assert any(s.name.startswith("INSERT") for s in children), [s.name for s in children]
    assert all(s.context and s.context.trace_id == handler.context.trace_id for s in children)

    [broadcast] = named(spans, "chat.broadcast")
    assert [link.context.span_id for link in broadcast.links] == [handler.context.span_id]
    assert broadcast.attributes and broadcast.attributes["chat.broadcast.messages"] == 1
    assert named(spans, "chat.set_name")

    assert metrics.points("chat.messages.sent") == [({"chat.user.type": "guest"}, 1)]
    [(_, length)] = metrics.points("chat.message.length")
    assert getattr(length, "sum", None) == len("hello spans")
    [(_, duration)] = metrics.points("chat.broadcast.duration")
    assert getattr(duration, "count", None) == 1


async def test_validation_error_is_counted_and_nothing_is_stored(
    new_user: NewUser, chat: Chat, spans: InMemorySpanExporter, metrics: Metrics
) -> None:
    ann = new_user()
    await ann.open("/")
    await send(ann, "hello")  # no name yet
    await ann.should_see("Name is required")
    type_name(ann, "Ann")
    await send(ann, " x ")
    await ann.should_see("at least 2 characters")

    assert sorted(metrics.points("chat.validation.errors"), key=str) == sorted(
        [
            ({"chat.field": "name", "chat.reason": "required"}, 1),
            ({"chat.field": "message", "chat.reason": "too_short"}, 1),
        ],
        key=str,
    )
    errors = {(s.attributes or {}).get("chat.validation.error") for s in named(spans, "chat.send_message")}
    assert errors == {"required", "too_short"}
    assert await chat.service.recent_messages() == []
    assert metrics.points("chat.messages.sent") == []


async def test_two_tabs_with_one_name_are_one_user_online(
    new_user: NewUser, chat: Chat, metrics: Metrics
) -> None:
    first, second, other = new_user(), new_user(), new_user()
    await join(first, "Ann")
    await join(second, "Ann")
    await join(other, "Bob")
    await until(lambda: chat.presence.online_users() == ("Ann", "Bob"))
    assert metrics.points("chat.users.online") == [({}, 2)]
    assert metrics.points("chat.presence.changes") == [({"chat.change": "join"}, 2)]
    assert [attributes for attributes, _ in metrics.points("chat.tabs.connected")] == [{}]


async def test_http_requests_are_spans_and_websocket_traffic_is_not(
    new_user: NewUser, spans: InMemorySpanExporter
) -> None:
    async with http_client() as client:
        assert (await client.get("/healthz")).status_code == 200
        await client.get("/_nicegui_ws/socket.io/", params={"EIO": "4", "transport": "polling"})
        await client.get("/_nicegui/client/unknown")
    names = [s.name for s in spans.get_finished_spans()]
    assert "GET /healthz" in names
    assert [
        s for s in spans.get_finished_spans() if s.kind == trace.SpanKind.SERVER and "_nicegui" in s.name
    ] == []
    assert not any(
        "_nicegui" in str((s.attributes or {}).get("url.path", "")) for s in spans.get_finished_spans()
    )


async def test_context_is_carried_into_a_worker_thread(spans: InMemorySpanExporter) -> None:
    tracer = trace.get_tracer(__name__)

    def work() -> None:
        with tracer.start_as_current_span("in the worker"):
            pass

    loop = asyncio.get_running_loop()
    with tracer.start_as_current_span("handler") as handler:
        await loop.run_in_executor(None, in_current_context(work))  # what run.io_bound does
        await loop.run_in_executor(None, work)
    carried, lost = named(spans, "in the worker")
    assert carried.parent is not None and carried.parent.span_id == handler.get_span_context().span_id
    assert lost.parent is None  # without the copied context the span loses its parent


async def test_traced_records_a_failure_and_reraises(spans: InMemorySpanExporter) -> None:
    @traced("chat.test_failure", extra=1)
    async def handler() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await handler()
    [span] = named(spans, "chat.test_failure")
    assert span.status.status_code == StatusCode.ERROR
    assert [event.name for event in span.events] == ["exception"]
    assert span.attributes == {"chat.user.type": "guest", "extra": 1}


def test_views_keep_unbounded_attributes_out_of_metrics(metrics: Metrics) -> None:
    meter = metrics.provider.get_meter("test")
    meter.create_counter("chat.messages.sent").add(1, {"chat.user.type": "guest", "author": "Ann"})
    meter.create_counter("chat.validation.errors").add(
        1, {"chat.field": "message", "chat.reason": "too_long", "text": "x" * 1001}
    )
    assert metrics.points("chat.messages.sent") == [({"chat.user.type": "guest"}, 1)]
    assert metrics.points("chat.validation.errors") == [
        ({"chat.field": "message", "chat.reason": "too_long"}, 1)
    ]


def test_log_records_carry_the_trace_and_span_ids(tracer_provider: TracerProvider) -> None:
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    handler = OtlpLogHandler(provider)
    logger, own = logging.getLogger("app.test"), logging.getLogger("opentelemetry.test")
    logger.addHandler(handler)
    own.addHandler(handler)
    try:
        with trace.get_tracer(__name__).start_as_current_span("handler") as span:
            logger.warning("inside a span")
            own.warning("not exported: it could loop")
    finally:
        logger.removeHandler(handler)
        own.removeHandler(handler)
        provider.shutdown()
    [record] = exporter.get_finished_logs()
    assert record.log_record.body == "inside a span"
    assert record.log_record.trace_id == span.get_span_context().trace_id
    assert record.log_record.span_id == span.get_span_context().span_id


async def test_a_typing_signal_is_a_root_span(new_user: NewUser, spans: InMemorySpanExporter) -> None:
    ann = new_user()
    await join(ann, "Ann")
    ann.find(marker="composer").trigger("typing", {"typing": True})
    await until(lambda: bool(named(spans, "chat.typing")))
    [typing] = named(spans, "chat.typing")
    assert typing.parent is None
    assert typing.attributes == {"chat.user.type": "guest"}

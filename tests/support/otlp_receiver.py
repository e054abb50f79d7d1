"""A real OTLP/HTTP receiver for tests: decodes the protobuf requests and keeps what it got."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from aiohttp import web
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from tests.support.ports import free_port

Mode = Literal["ok", "error", "hang"]
Signal = Literal["spans", "metrics", "logs"]
# what is kept → (request, response, resource groups, scope groups, items), as the OTLP protobufs name them
SIGNALS: dict[Signal, tuple[type[Message], type[Message], str, str, str]] = {
    "spans": (
        ExportTraceServiceRequest,
        ExportTraceServiceResponse,
        "resource_spans",
        "scope_spans",
        "spans",
    ),
    "metrics": (
        ExportMetricsServiceRequest,
        ExportMetricsServiceResponse,
        "resource_metrics",
        "scope_metrics",
        "metrics",
    ),
    "logs": (
        ExportLogsServiceRequest,
        ExportLogsServiceResponse,
        "resource_logs",
        "scope_logs",
        "log_records",
    ),
}


def value_of(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: value_of(pair.value) for pair in pairs if isinstance(pair, KeyValue)}


@dataclass
class Received:
    """One item (span, metric or log record) with the attributes of the resource that sent it."""

    resource: dict[str, Any]
    item: Any


@dataclass
class OtlpReceiver:
    """`mode`: `ok` answers 200, `error` answers 500, `hang` never answers (until stopped)."""

    mode: Mode = "ok"
    spans: list[Received] = field(default_factory=list)
    metrics: list[Received] = field(default_factory=list)
    logs: list[Received] = field(default_factory=list)
    requests: int = 0
    _runner: web.AppRunner | None = None
    _release: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self, port: int) -> str:
        app = web.Application()
        for signal, path in (("spans", "traces"), ("metrics", "metrics"), ("logs", "logs")):
            app.router.add_post(f"/v1/{path}", self._handler(signal))
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self._release.set()
        if self._runner:
            await self._runner.cleanup()

    def span_names(self) -> set[str]:
        return {r.item.name for r in self.spans}

    def metric_names(self) -> set[str]:
        return {r.item.name for r in self.metrics}

    async def _answer(self, request: web.Request, parsed: Message, reply: Message) -> web.Response:
        self.requests += 1
        if self.mode == "hang":
            await self._release.wait()
        if self.mode != "ok":
            return web.Response(status=500, text="receiver told to fail")
        parsed.ParseFromString(await request.read())
        return web.Response(body=reply.SerializeToString(), content_type="application/x-protobuf")

    def _handler(self, signal: Signal) -> Callable[[web.Request], Awaitable[web.Response]]:
        """Decodes an export request of `signal` and keeps its items, each with its resource."""
        request_type, reply_type, groups, scopes, items = SIGNALS[signal]

        async def handle(request: web.Request) -> web.Response:
            parsed = request_type()
            response = await self._answer(request, parsed, reply_type())
            for group in getattr(parsed, groups):
                resource = attributes(group.resource.attributes)
                scoped = (item for scope in getattr(group, scopes) for item in getattr(scope, items))
                getattr(self, signal).extend(Received(resource, item) for item in scoped)
            return response

        return handle


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[OtlpReceiver, str]]:
    """An OTLP/HTTP receiver that answers 200, and its URL."""
    receiver = OtlpReceiver()
    url = await receiver.start(free_port())
    yield receiver, url
    await receiver.stop()

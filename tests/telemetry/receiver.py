"""A real OTLP/HTTP receiver for tests: decodes the protobuf requests and keeps what it got."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal

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

Mode = Literal["ok", "error", "hang"]


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
        app.router.add_post("/v1/traces", self._traces)
        app.router.add_post("/v1/metrics", self._metrics)
        app.router.add_post("/v1/logs", self._logs)
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

    async def _traces(self, request: web.Request) -> web.Response:
        parsed = ExportTraceServiceRequest()
        response = await self._answer(request, parsed, ExportTraceServiceResponse())
        for group in parsed.resource_spans:
            resource = attributes(group.resource.attributes)
            self.spans += [Received(resource, span) for scope in group.scope_spans for span in scope.spans]
        return response

    async def _metrics(self, request: web.Request) -> web.Response:
        parsed = ExportMetricsServiceRequest()
        response = await self._answer(request, parsed, ExportMetricsServiceResponse())
        for group in parsed.resource_metrics:
            resource = attributes(group.resource.attributes)
            self.metrics += [Received(resource, m) for scope in group.scope_metrics for m in scope.metrics]
        return response

    async def _logs(self, request: web.Request) -> web.Response:
        parsed = ExportLogsServiceRequest()
        response = await self._answer(request, parsed, ExportLogsServiceResponse())
        for group in parsed.resource_logs:
            resource = attributes(group.resource.attributes)
            self.logs += [Received(resource, r) for scope in group.scope_logs for r in scope.log_records]
        return response

"""Telemetry in this process: the SDK's in-memory span exporter and metric reader, and simulated users on
a chat wired to them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.config import Settings
from app.main import Chat, build_chat
from app.telemetry import Telemetry
from app.telemetry.metrics import chat_views
from tests.support.users import NewUser, simulated_users

SPANS = InMemorySpanExporter()


@pytest.fixture(scope="session")
def tracer_provider() -> TracerProvider:
    """The process's global provider: the `traced` wrapper uses the global one, which can be set once."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(SPANS))
    trace.set_tracer_provider(provider)
    assert trace.get_tracer_provider() is provider, "another test set a global tracer provider first"
    return provider


@pytest.fixture
def spans(tracer_provider: TracerProvider) -> Iterator[InMemorySpanExporter]:
    SPANS.clear()
    yield SPANS
    SPANS.clear()


@dataclass
class Metrics:
    provider: MeterProvider
    reader: InMemoryMetricReader

    def points(self, name: str) -> list[tuple[dict[str, object], object]]:
        """(attributes, value or histogram point) of every data point of metric `name`."""
        data = self.reader.get_metrics_data()
        found = []
        for resource_metrics in data.resource_metrics if data else []:
            for scope in resource_metrics.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        for point in metric.data.data_points:
                            value = getattr(point, "value", point)
                            found.append((dict(point.attributes or {}), value))
        return found


@pytest.fixture
def metrics() -> Iterator[Metrics]:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], views=chat_views())
    yield Metrics(provider, reader)
    provider.shutdown()


@pytest.fixture
def telemetry(
    tracer_provider: TracerProvider, spans: InMemorySpanExporter, metrics: Metrics
) -> Iterator[Telemetry]:
    telemetry = Telemetry(tracer_provider, metrics.provider)
    yield telemetry
    telemetry.uninstrument()


@pytest.fixture
def chat(settings: Settings, telemetry: Telemetry) -> Chat:
    return build_chat(settings, telemetry)


@pytest.fixture
async def new_user(chat: Chat, telemetry: Telemetry) -> AsyncIterator[NewUser]:
    """Simulated browsers (NiceGUI's User) on the real page, with telemetry wired as in `serve`."""
    async with simulated_users(chat, telemetry) as new_user:
        yield new_user

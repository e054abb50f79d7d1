from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from nicegui import core, ui
from nicegui.testing import User
from nicegui.testing.general import nicegui_reset_globals, prepare_simulation
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from playwright.async_api import Browser, async_playwright

from app.config import Settings
from app.main import Chat, build_chat, install
from app.telemetry import Telemetry
from app.telemetry.metrics import chat_views
from app.ui.chat_page import chat_page
from tests.telemetry.receiver import OtlpReceiver
from tests.telemetry.server import free_port

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not shutil.which(CHROMIUM):
        if os.environ.get("CHAT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        await browser.close()


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[OtlpReceiver, str]]:
    receiver = OtlpReceiver()
    url = await receiver.start(free_port())
    yield receiver, url
    await receiver.stop()


# --- in-process shape tests: the SDK's in-memory span exporter and metric reader ---

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


NewUser = Callable[[], User]


@pytest.fixture
async def new_user(chat: Chat, telemetry: Telemetry) -> AsyncIterator[NewUser]:
    """Simulated browsers (NiceGUI's User) on the real page, with telemetry wired as in `serve`."""
    with nicegui_reset_globals():
        os.environ["NICEGUI_USER_SIMULATION"] = "true"
        try:
            prepare_simulation()
            ui.run(chat_page(install(chat, telemetry)), storage_secret="test secret")
            async with core.app.router.lifespan_context(core.app):
                yield lambda: User(http_client())
        finally:
            os.environ.pop("NICEGUI_USER_SIMULATION", None)


def http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test")

"""Event-loop lag and GC pauses become metrics; the pool makes no `connect` span and is counted when read."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader, NumberDataPoint
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text

from app.store.database import create_engine
from app.telemetry.instrument import instrument_engine
from app.telemetry.metrics import chat_views
from app.telemetry.runtime import RuntimeMonitor


def points(reader: InMemoryMetricReader, name: str) -> list[Any]:
    data = reader.get_metrics_data()
    if data is None:  # nothing recorded yet
        return []
    return [
        point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == name
        for point in metric.data.data_points
    ]


async def test_a_blocked_loop_shows_as_lag() -> None:
    reader = InMemoryMetricReader()
    monitor = RuntimeMonitor(MeterProvider(metric_readers=[reader], views=chat_views()))
    monitor.start()
    try:
        await asyncio.sleep(0.15)
        time.sleep(0.3)  # noqa: ASYNC251 -- the point: the loop is blocked, the sampler wakes up late
        while not points(reader, "chat.event_loop.lag") or points(reader, "chat.event_loop.lag")[0].max < 150:
            await asyncio.sleep(0.05)
    finally:
        await monitor.stop()
    [lag] = points(reader, "chat.event_loop.lag")
    assert isinstance(lag, HistogramDataPoint)
    assert lag.max >= 150
    assert sum(lag.bucket_counts[-6:]) >= 1  # counted in a bucket above 100 ms, not only in max


async def test_long_gc_pauses_are_counted_by_generation() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], views=chat_views())
    now = [0.0]
    monitor = RuntimeMonitor(provider, clock=lambda: now[0])
    for generation, ms in ((0, 0.4), (2, 80.0), (2, 30.0), (1, 51.0)):
        monitor._on_gc("start", {"generation": generation})
        now[0] += ms / 1000
        monitor._on_gc("stop", {"generation": generation})
    monitor.start()
    try:
        while sum(p.count for p in points(reader, "chat.gc.pause") if isinstance(p, HistogramDataPoint)) < 4:
            await asyncio.sleep(0.05)
    finally:
        await monitor.stop()
    pauses = {p.attributes["chat.gc.generation"]: p for p in points(reader, "chat.gc.pause")}
    assert pauses[2].count >= 2 and pauses[2].max == pytest.approx(80.0)
    assert pauses[0].max == pytest.approx(0.4)
    long = {p.attributes["chat.gc.generation"]: p.value for p in points(reader, "chat.gc.long_pauses")}
    assert all(isinstance(p, NumberDataPoint) for p in points(reader, "chat.gc.long_pauses"))
    assert long == {2: 1, 1: 1}  # 80 ms and 51 ms; 30 ms and 0.4 ms are not long


async def test_monitor_stops_listening_to_the_collector() -> None:
    import gc

    monitor = RuntimeMonitor(MeterProvider())
    monitor.start()
    assert monitor._on_gc in gc.callbacks
    await monitor.stop()
    assert monitor._on_gc not in gc.callbacks


async def test_pool_checkouts_make_no_span_but_queries_do(tmp_path: Any) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    undo = instrument_engine(engine, provider, MeterProvider())
    try:
        with provider.get_tracer("test").start_as_current_span("handler"):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        undo()
        await engine.dispose()
    names = [span.name for span in exporter.get_finished_spans()]
    assert "connect" not in names
    assert "handler" in names and any(name.startswith("SELECT") for name in names), names


async def test_the_pool_is_counted_when_metrics_are_read(tmp_path: Any) -> None:
    reader = InMemoryMetricReader()
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    undo = instrument_engine(engine, TracerProvider(), MeterProvider(metric_readers=[reader]))

    def usage() -> dict[str, int]:
        return {p.attributes["state"]: p.value for p in points(reader, "db.client.connections.usage")}

    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            assert usage() == {"idle": 0, "used": 1}
        assert usage() == {"idle": 1, "used": 0}
        [point] = [
            p for p in points(reader, "db.client.connections.usage") if p.attributes["state"] == "idle"
        ]
        assert point.attributes["pool.name"].startswith("sqlite+aiosqlite://")
        assert not engine.sync_engine.pool.dispatch.checkout  # no metric update per checkout
    finally:
        undo()
        await engine.dispose()
    assert usage() == {}  # undone: the instrument stays, it reports nothing

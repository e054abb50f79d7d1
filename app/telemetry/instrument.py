"""Instrumentation of the parts others built: the SQLAlchemy engine and the FastAPI app."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine

# NiceGUI's socket.io endpoint (one request would become one span per open tab, living as long as
# the tab) and its own static assets.
EXCLUDED_URLS = "/_nicegui_ws/,/_nicegui/"


def instrument_engine(
    engine: AsyncEngine, tracer_provider: TracerProvider | None, meter_provider: MeterProvider | None
) -> Callable[[], None]:
    """A span per query and the connection-pool metrics; returns the function that undoes it."""
    instrumentor = SQLAlchemyInstrumentor()
    instrumentor.instrument(
        engine=engine.sync_engine, tracer_provider=tracer_provider, meter_provider=meter_provider
    )

    def undo() -> None:
        instrumentor.uninstrument()

    return undo


def instrument_app(
    app: FastAPI, tracer_provider: TracerProvider | None, meter_provider: MeterProvider | None
) -> Callable[[], None]:
    """A server span per HTTP request, except NiceGUI's websocket and static routes."""
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        excluded_urls=EXCLUDED_URLS,
        exclude_spans=["receive", "send"],  # the per-message ASGI sub-spans: noise, and they cost
    )
    return lambda: FastAPIInstrumentor.uninstrument_app(app)

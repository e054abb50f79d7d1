"""Instrumentation of the parts others built: the SQLAlchemy engine and the FastAPI app."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation
from opentelemetry.trace import TracerProvider
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from app.patches.opentelemetry_instrumentation_sqlalchemy import POOL_EVENTS, remove_listeners

# NiceGUI's socket.io endpoint (one request would become one span per open tab, living as long as
# the tab) and its own static assets.
EXCLUDED_URLS = "/_nicegui_ws/,/_nicegui/"

CONNECTIONS_USAGE = "db.client.connections.usage"
# The instrumentation counts pool connections with four synchronous metric updates per checkout and
# checkin (attribute hashing, exemplar sampling: the dearest part of telemetry per message); the pool
# already knows both numbers, so they are read when metrics are collected instead (POOL_EVENTS: the
# instrumentation's pool listeners).


def instrument_engine(
    engine: AsyncEngine, tracer_provider: TracerProvider | None, meter_provider: MeterProvider | None
) -> Callable[[], None]:
    """A span per query and the connection-pool metric; returns the function that undoes it.

    Not the instrumentation's `connect` span: it wraps every `Engine.connect()` (one more span per
    query, saying nothing the query's span does not) and has no option to turn it off.
    """
    instrumentor = SQLAlchemyInstrumentor()
    instrumentor.instrument(
        engine=engine.sync_engine, tracer_provider=tracer_provider, meter_provider=meter_provider
    )
    unwrap(Engine, "connect")
    stop_counting_pool_events(engine.sync_engine)
    observed = [engine.sync_engine]
    if meter_provider is not None:
        observe_pool(observed, meter_provider)

    def undo() -> None:
        observed.clear()  # an instrument cannot be unregistered; its callback reports nothing more
        instrumentor.uninstrument()

    return undo


def stop_counting_pool_events(engine: Engine) -> None:
    """Remove the instrumentation's pool listeners from `engine` (its query listeners stay)."""
    remove_listeners(engine, POOL_EVENTS)


def pool_name(engine: Engine) -> str:
    """The `pool.name` the instrumentation gives: the pool's logging name, else the URL sans credentials."""
    url = engine.url
    return (
        engine.pool.logging_name
        or f"{url.drivername}://{url.host or ''}:{url.port or ''}/{url.database or ''}"
    )


def observe_pool(engines: list[Engine], meter_provider: MeterProvider) -> None:
    """`db.client.connections.usage` {pool.name, state=idle|used}, read from the pools at collection."""

    def read(_options: CallbackOptions) -> Iterable[Observation]:
        for engine in engines:
            pool = engine.pool  # dispose() replaces it
            checkedin, checkedout = getattr(pool, "checkedin", None), getattr(pool, "checkedout", None)
            if checkedin is None or checkedout is None:  # pools that keep no count (NullPool, StaticPool)
                continue
            name = pool_name(engine)
            yield Observation(checkedin(), {"pool.name": name, "state": "idle"})
            yield Observation(checkedout(), {"pool.name": name, "state": "used"})

    meter = meter_provider.get_meter(__name__)
    meter.create_observable_up_down_counter(
        CONNECTIONS_USAGE,
        callbacks=[read],
        unit="connections",
        description="The number of connections that are currently in state described by the state attribute.",
    )


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

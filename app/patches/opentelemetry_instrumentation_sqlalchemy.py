"""opentelemetry-instrumentation-sqlalchemy: taking the instrumentation's pool listeners off one engine.

`EngineTracer` registers its SQLAlchemy event listeners through `_register_event_listener`, which keeps
each as (weak reference to the target, event name, listener) in the class-wide list
`_remove_event_listener_params`, read again by `uninstrument`. Its pool listeners (`POOL_EVENTS`) update
a counter four times per checkout and checkin; app/telemetry/instrument.py removes them and reads the
pool's counts at export instead. A listener removed from the engine must leave that list too.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Engine, create_engine, event

from app.patches.moved import constants_used, names_used, require

LIBRARY = "opentelemetry-instrumentation-sqlalchemy"
PINNED = "0.66b2"
USES = "EngineTracer._remove_event_listener_params, EngineTracer._register_event_listener, its pool events"

POOL_EVENTS = ("connect", "close", "checkin", "checkout")


def remove_listeners(engine: Engine, events: Collection[str]) -> None:
    """Remove the instrumentation's listeners for `events` from `engine` (the others stay)."""
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

    kept = []
    for params in EngineTracer._remove_event_listener_params:
        target, identifier, listener = params
        if target() is engine and identifier in events:
            event.remove(engine, identifier, listener)
        else:
            kept.append(params)
    EngineTracer._remove_event_listener_params[:] = kept


def problems() -> list[str]:
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

    tracer: Any = EngineTracer
    registered = getattr(tracer, "_remove_event_listener_params", None)
    register = getattr(tracer, "_register_event_listener", None)
    if not isinstance(registered, list):
        return ["EngineTracer._remove_event_listener_params is gone"]
    if not callable(register) or "_remove_event_listener_params" not in names_used(register):
        return ["EngineTracer._register_event_listener no longer records in _remove_event_listener_params"]
    found = []
    missing = sorted(set(POOL_EVENTS) - constants_used(tracer.__init__))
    if missing:
        found.append(f"EngineTracer no longer listens to the pool events {missing}")
    engine = create_engine("sqlite://")

    def listener(*_args: Any) -> None:
        return None

    before = list(registered)
    try:
        register(engine, "checkout", listener)
        added = [entry for entry in registered if entry not in before]
        shape = added[0] if len(added) == 1 and isinstance(added[0], tuple) else ()
        if len(shape) != 3 or shape[0]() is not engine or shape[1:] != ("checkout", listener):
            found.append(
                f"_remove_event_listener_params entries are {added!r}, not (weakref, name, listener)"
            )
        remove_listeners(engine, {"checkout"})
        if event.contains(engine, "checkout", listener) or any(entry in registered for entry in added):
            found.append("removing an instrumentation listener leaves it registered")
    finally:
        registered[:] = before
        if event.contains(engine, "checkout", listener):
            event.remove(engine, "checkout", listener)
        engine.dispose()
    return found


def check() -> None:
    require(LIBRARY, PINNED, problems())

"""Trace context across instances: the sender's span travels in the bus payload, and the receiving
instance delivers the message inside it, so its `chat.broadcast` span links to the sender's trace."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_W3C = TraceContextTextMapPropagator()


class TracePropagation:
    """Implements the bus's `TraceCarrier`: W3C `traceparent` in, W3C `traceparent` out."""

    def current(self) -> dict[str, str]:
        carrier: dict[str, str] = {}
        _W3C.inject(carrier)
        return carrier

    @contextmanager
    def attached(self, carrier: dict[str, str]) -> Iterator[None]:
        token = context.attach(_W3C.extract(carrier))
        try:
            yield
        finally:
            context.detach(token)

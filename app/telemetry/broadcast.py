"""Telemetry for the fan-out: a span per frame sent to the room, and store-to-delivery time per message."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import Link, SpanContext, TracerProvider

from app.telemetry import names


class BroadcastTimer:
    """Remembers when each message was published and by which handler span, until its frame is sent.

    `published` runs on the bus, inside the sender's handler span; `broadcasting` wraps the send of
    one frame. The broadcast span is a root linked to the handler spans of the messages it carries:
    one frame may carry messages of several senders.
    """

    def __init__(
        self, tracer_provider: TracerProvider | None = None, meter_provider: MeterProvider | None = None
    ) -> None:
        self._tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)
        self._duration = metrics.get_meter(__name__, meter_provider=meter_provider).create_histogram(
            names.BROADCAST_DURATION, unit="ms", description="From store to the last tab handed the message"
        )
        self._pending: list[tuple[float, SpanContext]] = []

    def published(self) -> None:
        self._pending.append((time.perf_counter(), trace.get_current_span().get_span_context()))

    @contextmanager
    def broadcasting(self, tabs: int) -> Iterator[None]:
        """Wrap the send of one frame holding every message published since the last frame."""
        pending, self._pending = self._pending, []
        links = [Link(context) for _, context in pending if context.is_valid]
        attributes = {names.TABS_REACHED: tabs, names.MESSAGES_IN_BATCH: len(pending)}
        with self._tracer.start_as_current_span(
            names.BROADCAST, context=Context(), links=links, attributes=attributes
        ):
            yield
        done = time.perf_counter()
        for published_at, _ in pending:
            self._duration.record((done - published_at) * 1000)

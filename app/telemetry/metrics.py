"""The chat's metric instruments, and the views that keep their attributes bounded."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View

from app.telemetry import names
from app.telemetry.runtime import STALL_BUCKETS_MS

METER_NAME = "app.chat"
# Messages are 2..1000 characters.
LENGTH_BUCKETS = (2, 5, 10, 20, 50, 100, 200, 500, 1000)
# Milliseconds from store to the last tab handed the message.
BROADCAST_BUCKETS_MS = (0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)


def chat_views() -> list[View]:
    """Only the listed attributes survive aggregation, so no name or message text becomes a metric label."""
    return [
        View(instrument_name=names.MESSAGES_SENT, attribute_keys={names.USER_TYPE}),
        View(
            instrument_name=names.MESSAGE_LENGTH,
            attribute_keys={names.USER_TYPE},
            aggregation=ExplicitBucketHistogramAggregation(LENGTH_BUCKETS),
        ),
        View(instrument_name=names.VALIDATION_ERRORS, attribute_keys={names.FIELD, names.REASON}),
        View(instrument_name=names.PRESENCE_CHANGES, attribute_keys={names.CHANGE}),
        View(instrument_name=names.USERS_ONLINE, attribute_keys=set()),
        View(instrument_name=names.TABS_CONNECTED, attribute_keys=set()),
        View(
            instrument_name=names.BROADCAST_DURATION,
            attribute_keys=set(),
            aggregation=ExplicitBucketHistogramAggregation(BROADCAST_BUCKETS_MS),
        ),
        View(instrument_name=names.USERS_ONLINE_CLUSTER, attribute_keys=set()),
        View(instrument_name=names.BUS_NOTIFICATIONS, attribute_keys=set()),
        View(instrument_name=names.BUS_RECONNECTS, attribute_keys=set()),
        View(
            instrument_name=names.BUS_LAG,
            attribute_keys=set(),
            aggregation=ExplicitBucketHistogramAggregation(BROADCAST_BUCKETS_MS),
        ),
        View(
            instrument_name=names.EVENT_LOOP_LAG,
            attribute_keys=set(),
            aggregation=ExplicitBucketHistogramAggregation(STALL_BUCKETS_MS),
        ),
        View(
            instrument_name=names.GC_PAUSE,
            attribute_keys={names.GC_GENERATION},
            aggregation=ExplicitBucketHistogramAggregation(STALL_BUCKETS_MS),
        ),
        View(instrument_name=names.GC_LONG_PAUSES, attribute_keys={names.GC_GENERATION}),
        View(instrument_name=names.HISTORY_PAGES, attribute_keys={names.HISTORY_DIRECTION}),
        View(instrument_name=names.MESSAGES_DELETED, attribute_keys={names.REASON}),
    ]


class ChatInstruments:
    """Implements the domain's `ChatMetrics`; also notes the outcome on the current (handler) span."""

    def __init__(self, meter_provider: MeterProvider | None = None) -> None:
        meter = metrics.get_meter(METER_NAME, meter_provider=meter_provider)
        self._sent = meter.create_counter(
            names.MESSAGES_SENT, unit="{message}", description="Messages stored"
        )
        self._length = meter.create_histogram(
            names.MESSAGE_LENGTH, unit="{character}", description="Length of stored messages"
        )
        self._errors = meter.create_counter(
            names.VALIDATION_ERRORS, unit="{error}", description="Input rejected by a validation rule"
        )
        self._presence = meter.create_counter(
            names.PRESENCE_CHANGES, unit="{change}", description="Names joining or leaving the online list"
        )
        self._guest = {names.USER_TYPE: names.GUEST}
        self._notifications = meter.create_counter(
            names.BUS_NOTIFICATIONS, unit="{notification}", description="Message notifications received"
        )
        self._lag = meter.create_histogram(
            names.BUS_LAG, unit="ms", description="From a message's commit to its delivery on this instance"
        )
        self._pages = meter.create_counter(
            names.HISTORY_PAGES, unit="{page}", description="Pages of older (or newer) history read by tabs"
        )
        self._reconnects = meter.create_counter(
            names.BUS_RECONNECTS, unit="{reconnect}", description="Bus listener reconnections"
        )
        self._deleted = meter.create_counter(
            names.MESSAGES_DELETED,
            unit="{message}",
            description="Messages deleted by an operator or retention",
        )

    def message_sent(self, length: int) -> None:
        self._sent.add(1, self._guest)
        self._length.record(length, self._guest)
        trace.get_current_span().set_attribute(names.MESSAGE_LENGTH_ATTR, length)

    def validation_failed(self, field: str, reason: str) -> None:
        self._errors.add(1, {names.FIELD: field, names.REASON: reason})
        trace.get_current_span().set_attributes({names.VALIDATION_ERROR: reason, names.FIELD: field})

    def presence_changed(self, change: str) -> None:
        self._presence.add(1, {names.CHANGE: change})

    def history_paged(self, direction: str, count: int) -> None:
        self._pages.add(1, {names.HISTORY_DIRECTION: direction})
        trace.get_current_span().set_attribute(names.HISTORY_COUNT, count)

    def messages_deleted(self, count: int, reason: str) -> None:
        self._deleted.add(count, {names.REASON: reason})
        trace.get_current_span().set_attribute(names.DELETED_COUNT, count)

    def bus_notification(self) -> None:
        self._notifications.add(1)

    def bus_lag(self, milliseconds: float) -> None:
        self._lag.record(max(0.0, milliseconds))

    def bus_reconnect(self) -> None:
        self._reconnects.add(1)


def observe_chat(
    users_online: Callable[[], int],
    tabs_connected: Callable[[], int],
    meter_provider: MeterProvider | None = None,
    cluster_online: Callable[[], int] | None = None,
) -> None:
    """Register the process-wide gauges; call once per process (not per tab)."""
    meter = metrics.get_meter(METER_NAME, meter_provider=meter_provider)

    def gauge(read: Callable[[], int]) -> Callable[[CallbackOptions], Iterable[Observation]]:
        return lambda _options: [Observation(read())]

    meter.create_observable_gauge(
        names.USERS_ONLINE, [gauge(users_online)], unit="{user}", description="Distinct names online"
    )
    meter.create_observable_gauge(
        names.TABS_CONNECTED, [gauge(tabs_connected)], unit="{tab}", description="Chat tabs connected"
    )
    if cluster_online is not None:
        meter.create_observable_gauge(
            names.USERS_ONLINE_CLUSTER,
            [gauge(cluster_online)],
            unit="{user}",
            description="Distinct names online on every instance",
        )

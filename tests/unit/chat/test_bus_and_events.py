"""The in-process bus and the events' wire form."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from app.chat.bus import LocalBus
from app.chat.events import ChatMessage, Event, PresenceChanged
from app.chat.metrics import NoBusMetrics, NoMetrics

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_every_subscriber_gets_every_event_in_order_until_it_unsubscribes() -> None:
    bus = LocalBus()
    first: list[Event] = []
    second: list[Event] = []
    unsubscribe_first = bus.subscribe(first.append)
    bus.subscribe(second.append)
    assert bus.subscriber_count == 2
    one, two = PresenceChanged(("a",), 1), PresenceChanged(("a", "b"), 2)
    bus.publish(one)
    bus.publish(two)
    assert first == second == [one, two]
    assert unsubscribe_first() is None
    assert bus.subscriber_count == 1
    unsubscribe_first()  # twice: harmless
    assert bus.subscriber_count == 1
    bus.publish(one)
    assert first == [one, two] and second == [one, two, one]


def test_unsubscribing_one_keeps_the_others_even_with_equal_functions() -> None:
    bus = LocalBus()
    seen: list[Event] = []
    unsubscribe = [bus.subscribe(seen.append) for _ in range(3)]
    unsubscribe[1]()
    bus.publish(PresenceChanged((), 1))
    assert len(seen) == 2 and bus.subscriber_count == 2


def test_a_failing_subscriber_is_logged_and_the_others_still_get_the_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = LocalBus()
    seen: list[Event] = []

    def broken(_event: Event) -> None:
        raise RuntimeError("boom")

    bus.subscribe(broken)
    bus.subscribe(seen.append)
    with caplog.at_level(logging.ERROR, logger="app.chat.bus"):
        bus.publish(PresenceChanged((), 1))
    assert len(seen) == 1
    assert [r.getMessage() for r in caplog.records] == ["bus subscriber failed"]
    assert caplog.records[0].exc_info is not None


def test_a_subscriber_may_unsubscribe_while_an_event_is_delivered() -> None:
    bus = LocalBus()
    seen: list[Event] = []
    unsubscribe = bus.subscribe(lambda _event: unsubscribe())
    bus.subscribe(seen.append)
    bus.publish(PresenceChanged((), 1))
    assert len(seen) == 1 and bus.subscriber_count == 1


def test_wire_forms() -> None:
    message = ChatMessage(7, "Ann", "hi <b>", AT)
    assert message.to_wire() == {
        "id": 7,
        "author": "Ann",
        "text": "hi <b>",
        "at": "2026-01-02T03:04:05+00:00",
    }
    assert PresenceChanged(("a", "b"), 3).to_wire() == {"names": ["a", "b"], "version": 3}
    assert PresenceChanged(("a",)).version == 0


def test_the_null_metrics_accept_every_call() -> None:
    metrics, bus_metrics = NoMetrics(), NoBusMetrics()
    assert metrics.message_sent(3) is None
    assert metrics.validation_failed("name", "required") is None
    assert metrics.presence_changed("join") is None
    assert bus_metrics.bus_notification() is None
    assert bus_metrics.bus_lag(1.0) is None
    assert bus_metrics.bus_reconnect() is None

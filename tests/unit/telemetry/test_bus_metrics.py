"""The PostgreSQL bus's instruments and the cluster-wide online gauge, by name and shape."""

from __future__ import annotations

from app.telemetry.metrics import ChatInstruments, observe_chat
from tests.unit.telemetry.conftest import Metrics


def test_bus_counters_and_lag(metrics: Metrics) -> None:
    instruments = ChatInstruments(metrics.provider)
    instruments.bus_notification()
    instruments.bus_notification()
    instruments.bus_reconnect()
    instruments.bus_lag(12.5)
    instruments.bus_lag(-3)  # clocks of two hosts may disagree a little: never a negative lag
    assert metrics.points("chat.bus.notifications") == [({}, 2)]
    assert metrics.points("chat.bus.reconnects") == [({}, 1)]
    [(attributes, lag)] = metrics.points("chat.bus.lag")
    assert attributes == {}
    assert (lag.count, lag.sum, lag.min) == (2, 12.5, 0)  # type: ignore[attr-defined]


def test_online_per_process_and_across_the_cluster(metrics: Metrics) -> None:
    observe_chat(lambda: 1, lambda: 3, metrics.provider, cluster_online=lambda: 4)
    assert metrics.points("chat.users.online") == [({}, 1)]
    assert metrics.points("chat.users.online.cluster") == [({}, 4)]


def test_no_cluster_gauge_with_the_local_bus(metrics: Metrics) -> None:
    observe_chat(lambda: 1, lambda: 3, metrics.provider)
    assert metrics.points("chat.users.online.cluster") == []

"""What the domain reports to whoever counts: an interface, so the domain imports no telemetry library."""

from __future__ import annotations

from typing import Literal, Protocol

PresenceChange = Literal["join", "leave"]
PageDirection = Literal["older", "newer"]


class ChatMetrics(Protocol):
    """Receives the domain's countable events; implementations must be quick and must not raise."""

    def message_sent(self, length: int) -> None: ...

    def validation_failed(self, field: str, reason: str) -> None: ...

    def presence_changed(self, change: PresenceChange) -> None: ...

    def history_paged(self, direction: PageDirection, count: int) -> None: ...


class NoMetrics:
    """Counts nothing: the default when no telemetry is wired in."""

    def message_sent(self, length: int) -> None:
        pass

    def validation_failed(self, field: str, reason: str) -> None:
        pass

    def presence_changed(self, change: PresenceChange) -> None:
        pass

    def history_paged(self, direction: PageDirection, count: int) -> None:
        pass


class BusMetrics(Protocol):
    """The PostgreSQL bus's countable events."""

    def bus_notification(self) -> None: ...

    def bus_lag(self, milliseconds: float) -> None: ...

    def bus_reconnect(self) -> None: ...


class NoBusMetrics:
    def bus_notification(self) -> None:
        pass

    def bus_lag(self, milliseconds: float) -> None:
        pass

    def bus_reconnect(self) -> None:
        pass


DeletionReason = Literal["operator", "retention"]


class DeletionMetrics(Protocol):
    """Messages deleted, by whom: an operator's command or retention."""

    def messages_deleted(self, count: int, reason: DeletionReason) -> None: ...


class NoDeletionMetrics:
    def messages_deleted(self, count: int, reason: DeletionReason) -> None:
        pass

"""In-process publish/subscribe: every subscriber gets every event, in publish order."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from app.chat.events import Event

log = logging.getLogger(__name__)

Subscriber = Callable[[Event], None]


class Bus(Protocol):
    """What the service, presence and the fan-out need of a bus: `LocalBus` for one process, `PgBus`
    (LISTEN/NOTIFY) for several instances on one PostgreSQL. Chosen once, in `app.main.build_chat`."""

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]: ...

    def publish(self, event: Event) -> None: ...

    def history_shown(self, last_id: int) -> None:
        """A page was rendered with the history up to `last_id`: the bus delivers what comes after."""
        ...

    @property
    def subscriber_count(self) -> int: ...


class LocalBus:
    """Fan-out within one process. Subscribers must be quick and must not block."""

    def __init__(self) -> None:
        self._subscribers: dict[int, Subscriber] = {}
        self._next_key = 0  # pragma: no mutate (any start gives distinct keys: an equivalent mutant)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns the function that removes it."""
        key = self._next_key
        self._next_key += 1  # pragma: no mutate (any step but 0 gives distinct keys; 0 is not a mutation)
        self._subscribers[key] = subscriber
        return lambda: self._subscribers.pop(key, None) and None

    def publish(self, event: Event) -> None:
        for subscriber in list(self._subscribers.values()):
            try:
                subscriber(event)
            except Exception:  # one broken tab must not stop the others
                log.exception("bus subscriber failed")

    def history_shown(self, last_id: int) -> None:
        """Nothing to do: this process publishes every message it stores, after the page read its history."""

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

"""In-memory stand-ins for the domain's unit tests (fast enough to run against every mutant), and the
`clock` fixture."""

from __future__ import annotations

import time
from collections.abc import Collection
from datetime import UTC, datetime

import pytest

from app.chat.events import Event
from app.chat.metrics import PageDirection, PresenceChange
from app.store.models import Message


class RecordingMetrics:
    """A ChatMetrics that remembers every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def message_sent(self, length: int) -> None:
        self.calls.append(("sent", str(length)))

    def validation_failed(self, field: str, reason: str) -> None:
        self.calls.append(("failed", field, reason))

    def presence_changed(self, change: PresenceChange) -> None:
        self.calls.append(("presence", change))

    def history_paged(self, direction: PageDirection, count: int) -> None:
        self.calls.append(("paged", direction, str(count)))


class Recorder:
    """A bus subscriber that keeps every event."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)


class FakeMessageStore:
    """MessageStore's surface over a list; `naive` stores times without a zone, as SQLite returns them."""

    def __init__(self, *, naive: bool = False) -> None:
        self.rows: list[Message] = []
        self.naive = naive
        self.calls: list[str] = []

    def _row(self, author: str, text: str, client_msg_id: str | None = None) -> Message:
        at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=None if self.naive else UTC)
        row = Message(
            id=len(self.rows) + 1, author=author, text=text, client_msg_id=client_msg_id, created_at=at
        )
        self.rows.append(row)
        return row

    async def add(self, author: str, text: str) -> Message:
        self.calls.append("add")
        return self._row(author, text)

    async def add_once(self, author: str, text: str, client_msg_id: str) -> tuple[Message, bool]:
        self.calls.append("add_once")
        for row in self.rows:
            if row.client_msg_id == client_msg_id:
                return row, False
        return self._row(author, text, client_msg_id), True

    async def by_client_ids(self, client_msg_ids: Collection[str]) -> list[Message]:
        self.calls.append("by_client_ids")
        return [row for row in self.rows if row.client_msg_id in client_msg_ids]

    async def recent(self, limit: int) -> list[Message]:
        return self.rows[-limit:] if limit > 0 else []

    async def after(self, message_id: int, limit: int) -> list[Message]:
        newer = [row for row in self.rows if row.id is not None and row.id > message_id]
        return newer[-limit:] if limit > 0 else []

    async def up_to(self, message_id: int, limit: int) -> list[Message]:
        older = [row for row in self.rows if row.id is not None and row.id <= message_id]
        return older[-limit:] if limit > 0 else []

    async def before(self, message_id: int, limit: int) -> list[Message]:
        older = [row for row in self.rows if row.id is not None and row.id < message_id]
        return older[-limit:] if limit > 0 else []

    async def following(self, message_id: int, limit: int) -> list[Message]:
        self.calls.append(f"following {message_id} {limit}")
        newer = [row for row in self.rows if row.id is not None and row.id > message_id]
        return newer[:limit]

    async def last_id(self) -> int:
        return (self.rows[-1].id or 0) if self.rows else 0


class Clock:
    """A wall clock that moves only when the test moves it (`clock.now += 10`)."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """`time.time` stopped at a fixed moment (the `limits` package of flood control reads it)."""
    fake = Clock()
    monkeypatch.setattr(time, "time", fake)
    return fake

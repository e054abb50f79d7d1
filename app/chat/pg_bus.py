"""The bus between instances: PostgreSQL's LISTEN/NOTIFY as the wake-up, the message table as the truth.

Every stored message is notified in the transaction that stores it (see `MessageStore`), so it is
delivered at commit. The listener hands messages to this process's subscribers strictly in id order:
a notification that is not the next id (a hole from a rolled-back insert, a payload too big to carry
the message, a notification missed while the connection was down) makes it read the table after the
last id it delivered. The sender's own tabs get their messages the same way: one path, one order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any, Protocol

import psycopg

from app.background import BackgroundLoop, Backoff
from app.chat.bus import LocalBus, Subscriber
from app.chat.events import ChatMessage, Event, MessagesDeleted, Typing
from app.chat.metrics import BusMetrics, NoBusMetrics
from app.chat.service import to_event
from app.store.messages import MessageStore
from app.store.models import Message, as_utc
from app.store.notify import MAX_PAYLOAD_BYTES, listener_connection, notify

log = logging.getLogger(__name__)

LIVENESS_SECONDS = 5.0  # idle this long, the listener checks its connection with a cheap query
CONNECT_TIMEOUT = 5.0
BACKOFF_FIRST = 0.2
BACKOFF_MAX = 5.0
DOWN_LIMIT_SECONDS = 10.0  # /healthz says "bus": "error" once the listener has been down this long
CATCH_UP_PAGE = 500
CLOSE_SECONDS = 1.0  # closing a broken connection may hang; it is given up after this
TYPING_QUEUE = 200  # "is typing" signals waiting for the database; more are dropped (they expire anyway)
TYPING_SEND_SECONDS = 2.0


class TraceCarrier(Protocol):
    """Carries the sender's trace context in the payload (implemented by app/telemetry)."""

    def current(self) -> dict[str, str]: ...

    def attached(self, carrier: dict[str, str]) -> AbstractContextManager[None]: ...


class NoTraceCarrier:
    def current(self) -> dict[str, str]:
        return {}

    def attached(self, carrier: dict[str, str]) -> AbstractContextManager[None]:
        return nullcontext()


def message_payload(row: Message, trace_context: dict[str, str] | None = None) -> str:
    """The notification for a stored row: its id (and the sender's trace context), and the message
    itself when it fits well under the 8000-byte limit of PostgreSQL's NOTIFY."""
    head: dict[str, Any] = {"id": row.id}
    if trace_context:
        head["trace"] = trace_context
    wire = {**head, "author": row.author, "text": row.text, "at": row.created_at.isoformat()}
    # not mutated: ensure_ascii=None is as false as False (an equivalent mutant)
    encoded = json.dumps(wire, ensure_ascii=False, separators=(",", ":"))  # pragma: no mutate
    if len(encoded.encode()) > MAX_PAYLOAD_BYTES:
        return json.dumps(head)
    return encoded


def _message_from(data: dict[str, Any]) -> ChatMessage | None:
    try:
        created = datetime.fromisoformat(data["at"])
        return ChatMessage(
            id=int(data["id"]),
            author=str(data["author"]),
            text=str(data["text"]),
            created_at=as_utc(created),
        )
    except (KeyError, TypeError, ValueError):
        return None


def typing_payload(event: Typing, origin: str) -> str:
    """An "is typing" signal for the other instances (`origin`: this bus, which ignores its own)."""
    wire = {"typing": {"name": event.name, "tab": event.tab, "stopped": event.stopped}, "origin": origin}
    # not mutated: ensure_ascii=None is as false as False (an equivalent mutant)
    return json.dumps(wire, ensure_ascii=False, separators=(",", ":"))  # pragma: no mutate


def _typing_from(data: Any) -> Typing | None:
    if not isinstance(data, dict):
        return None
    name, tab, stopped = (data.get(key) for key in ("name", "tab", "stopped"))
    if isinstance(name, str) and isinstance(tab, str) and isinstance(stopped, bool):
        return Typing(name, tab, stopped)
    return None


class PgBus:
    """Same surface as `LocalBus`; `start` runs the listener, `stop` ends it. `payload` is what the
    store notifies for each row it inserts."""

    def __init__(
        self,
        store: MessageStore,
        async_url: str,
        metrics: BusMetrics | None = None,
        tracing: TraceCarrier | None = None,
    ) -> None:
        self._local = LocalBus()
        self._tracing = tracing or NoTraceCarrier()
        self._store = store
        self._url = async_url
        self._metrics = metrics or NoBusMetrics()
        self._last_id: int | None = None
        # before the listener's first catch-up: the oldest history end a page was rendered with
        self._shown_floor: int | None = None
        self._down_since: float | None = time.monotonic()  # not listening yet
        self._presence_callbacks: list[Callable[[], None]] = []
        self._backoff = Backoff(BACKOFF_FIRST, BACKOFF_MAX)  # between two connections; reset once listening
        self._connected_before = False  # pragma: no mutate (None is as false: an equivalent mutant)
        self._listener = BackgroundLoop(
            "chat bus listener",
            self._connection_life,
            wait=self._backoff.sleep,
            wait_first=False,
            failed=self._cannot_connect,
            each_failure=True,
        )
        # "is typing" goes out as a notification alone (no row), and comes back to us: `origin` tells
        self._origin = uuid.uuid4().hex
        self._typing_out: asyncio.Queue[str] = asyncio.Queue(TYPING_QUEUE)
        # none is retried: the database is away, the signals are dropped (they expire anyway)
        self._typing_sender = BackgroundLoop(
            "chat typing",
            self._send_typing,
            failed=lambda error: log.warning(
                "sending typing signals failed (%r); dropping them while it fails", error
            ),
        )
        self.connection: psycopg.AsyncConnection[object] | None = None

    def payload(self, row: Message) -> str:
        return message_payload(row, self._tracing.current())

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        return self._local.subscribe(subscriber)

    def history_shown(self, last_id: int) -> None:
        """Pages rendered before the listener's first connection (the database was away at start) get
        everything stored after their history, not only what comes after the listener connects."""
        if self._last_id is None and (self._shown_floor is None or last_id < self._shown_floor):
            self._shown_floor = last_id

    def publish(self, event: Event) -> None:
        if isinstance(event, ChatMessage):
            return  # stored and notified in one transaction: the listener delivers it, here too
        if isinstance(event, Typing):
            with contextlib.suppress(asyncio.QueueFull):  # the database is slow: typing can wait no longer
                self._typing_out.put_nowait(typing_payload(event, self._origin))
        self._local.publish(event)

    @property
    def subscriber_count(self) -> int:
        return self._local.subscriber_count

    def on_presence(self, callback: Callable[[], None]) -> None:
        """`callback` runs when presence may have changed on another instance (a presence notification,
        or a reconnect after which notifications may have been missed)."""
        self._presence_callbacks.append(callback)

    @property
    def listening(self) -> bool:
        return self._down_since is None

    def healthy(self) -> bool:
        """False once the listener has been without a connection for more than DOWN_LIMIT_SECONDS."""
        return self._down_since is None or time.monotonic() - self._down_since <= DOWN_LIMIT_SECONDS

    def start(self) -> None:
        self._backoff.reset()
        self._connected_before = False  # pragma: no mutate (None is as false: an equivalent mutant)
        self._listener.start()
        self._typing_sender.start()

    async def stop(self) -> None:
        await self._typing_sender.stop()
        await self._listener.stop()

    def _cannot_connect(self, error: Exception) -> None:
        log.warning("the bus listener cannot connect (%r); retrying in %.1f s", error, self._backoff.delay)

    async def _connection_life(self) -> None:
        """Connect, catch up, listen until the connection drops (a failed connect raises)."""
        self.connection = await listener_connection(self._url, CONNECT_TIMEOUT)
        try:
            if self._connected_before:
                self._metrics.bus_reconnect()
                log.info("the bus listener is connected again; catching up from message %s", self._last_id)
            self._connected_before = True
            # LISTEN is in place: whatever commits from now on is notified, so reading the table
            # after the last delivered id misses nothing committed in between.
            await self._catch_up()
            self._down_since = None
            self._backoff.reset()
            self._presence_may_have_changed()
            await self._listen(self.connection)
        except Exception as error:  # a dropped or stalled connection, or the database gone
            log.warning("the bus listener lost its connection (%r); reconnecting", error)
        finally:
            if self._down_since is None:
                self._down_since = time.monotonic()
            await self._close()

    async def _send_typing(self) -> None:
        """Send the queued signals, all that are waiting in one transaction."""
        payloads = [await self._typing_out.get()]
        while not self._typing_out.empty():
            payloads.append(self._typing_out.get_nowait())
        await asyncio.wait_for(notify(self._store.engine, payloads), TYPING_SEND_SECONDS)

    async def _close(self) -> None:
        if self.connection is not None:
            connection, self.connection = self.connection, None
            with contextlib.suppress(Exception):  # closing a broken connection may fail; it is gone anyway
                await asyncio.wait_for(connection.close(), CLOSE_SECONDS)

    async def _listen(self, connection: psycopg.AsyncConnection[object]) -> None:
        while True:
            async for notification in connection.notifies(timeout=LIVENESS_SECONDS):
                await self._on_notification(notification.payload)
            # A half-open socket reports nothing: ask something cheap, with a deadline.
            await asyncio.wait_for(connection.execute("SELECT 1"), LIVENESS_SECONDS)

    async def _on_notification(self, payload: str) -> None:
        try:
            data = json.loads(payload)
            if data.get("presence"):
                self._presence_may_have_changed()
                return
            if "typing" in data:
                typing = _typing_from(data["typing"]) if data.get("origin") != self._origin else None
                if typing is not None:
                    self._local.publish(typing)
                return
            if "deleted" in data:  # an operator's delete (the CLI notifies) or retention on an instance
                deleted = MessagesDeleted(tuple(int(i) for i in data["deleted"]), int(data.get("through", 0)))
                self._local.publish(deleted)
                return
            message_id = int(data["id"])
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("ignoring a bus notification of unknown shape: %.200r", payload)
            return
        self._metrics.bus_notification()
        assert self._last_id is not None
        if message_id <= self._last_id:
            return  # delivered already, by a catch-up
        message = _message_from(data) if message_id == self._last_id + 1 else None
        trace_context = data.get("trace")
        with self._tracing.attached(trace_context if isinstance(trace_context, dict) else {}):
            if message is None:
                await self._catch_up()  # the table is the truth: a hole, a big message, or a missed one
            else:
                self._deliver(message)

    async def _catch_up(self) -> None:
        if self._last_id is None:  # first start: the tabs render their history from the table
            if self._shown_floor is None:
                self._last_id = await self._store.last_id()
                return
            self._last_id = self._shown_floor  # pages were rendered before: deliver what came after
        while True:
            rows = await self._store.following(self._last_id, CATCH_UP_PAGE)
            for row in rows:
                self._deliver(to_event(row))
            if len(rows) < CATCH_UP_PAGE:
                return

    def _deliver(self, message: ChatMessage) -> None:
        self._last_id = message.id
        self._metrics.bus_lag((datetime.now(UTC) - message.created_at).total_seconds() * 1000)
        self._local.publish(message)

    def _presence_may_have_changed(self) -> None:
        for callback in self._presence_callbacks:
            callback()

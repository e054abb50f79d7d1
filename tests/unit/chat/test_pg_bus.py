"""The PostgreSQL bus's logic without a database: payloads, notifications, catch-up, health."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from app.chat import pg_bus
from app.chat.bus import LocalBus
from app.chat.events import ChatMessage, Event, PresenceChanged, Typing
from app.chat.pg_bus import NoTraceCarrier, PgBus, _message_from, message_payload
from app.chat.service import to_event
from app.store.messages import MessageStore
from app.store.models import Message
from tests.support.fakes import FakeMessageStore
from tests.support.wait import until

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class Metrics:
    def __init__(self) -> None:
        self.notifications = 0
        self.lags: list[float] = []
        self.reconnects = 0

    def bus_notification(self) -> None:
        self.notifications += 1

    def bus_lag(self, milliseconds: float) -> None:
        self.lags.append(milliseconds)

    def bus_reconnect(self) -> None:
        self.reconnects += 1


class Carrier:
    def __init__(self) -> None:
        self.attached_to: list[dict[str, str]] = []

    def current(self) -> dict[str, str]:
        return {"traceparent": "00-abc-def-01"}

    @contextmanager
    def attached(self, carrier: dict[str, str]) -> Iterator[None]:
        self.attached_to.append(carrier)
        yield


def make(rows: int = 0) -> tuple[PgBus, FakeMessageStore, list[Event], Metrics, Carrier]:
    store, metrics, carrier = FakeMessageStore(), Metrics(), Carrier()
    for n in range(rows):
        store._row("ann", f"m{n + 1}")
    bus = PgBus(cast(MessageStore, store), "postgresql+psycopg://x/y", metrics, carrier)
    seen: list[Event] = []
    bus.subscribe(seen.append)
    return bus, store, seen, metrics, carrier


def wire(message_id: int, text: str = "hi", **extra: object) -> str:
    return json.dumps({"id": message_id, "author": "ann", "text": text, "at": AT.isoformat(), **extra})


def test_the_payload_carries_the_message_and_trace_when_it_fits() -> None:
    row = Message(id=7, author="ann", text="hi ü", created_at=AT)
    assert json.loads(message_payload(row)) == {
        "id": 7,
        "author": "ann",
        "text": "hi ü",
        "at": AT.isoformat(),
    }
    assert json.loads(message_payload(row, {"traceparent": "t"}))["trace"] == {"traceparent": "t"}
    assert "trace" not in json.loads(message_payload(row, {}))
    assert "ü" in message_payload(row) and " " not in message_payload(row).replace("hi ü", "")


def test_a_payload_over_the_limit_carries_the_id_and_trace_only() -> None:
    limit = pg_bus.MAX_PAYLOAD_BYTES
    fixed = len(message_payload(Message(id=8, author="ann", text="", created_at=AT)).encode())
    fits = Message(id=8, author="ann", text="x" * (limit - fixed), created_at=AT)
    assert len(message_payload(fits).encode()) == limit
    assert json.loads(message_payload(fits))["text"] == fits.text
    over = Message(id=8, author="ann", text="x" * (limit - fixed + 1), created_at=AT)
    assert json.loads(message_payload(over)) == {"id": 8}
    assert json.loads(message_payload(over, {"traceparent": "t"})) == {"id": 8, "trace": {"traceparent": "t"}}
    emoji = Message(id=9, author="ann", text="😀" * 1000, created_at=AT)  # 4000 bytes of UTF-8
    assert json.loads(message_payload(emoji)) == {"id": 9}


def test_message_from_a_payload() -> None:
    data = json.loads(wire(5, "hello"))
    assert _message_from(data) == ChatMessage(5, "ann", "hello", AT)
    naive = {**data, "at": "2026-01-02T03:04:05", "id": "6"}
    assert _message_from(naive) == ChatMessage(6, "ann", "hello", AT)
    elsewhere = _message_from({**data, "at": "2026-01-02T05:04:05+02:00"})
    assert (
        elsewhere is not None
        and elsewhere.created_at == AT
        and elsewhere.created_at.utcoffset() == timedelta(hours=2)
    )
    for broken in (
        {k: v for k, v in data.items() if k != "at"},
        {**data, "at": "noon"},
        {**data, "id": None},
    ):
        assert _message_from(broken) is None
    for missing in ("id", "author", "text"):
        assert _message_from({k: v for k, v in data.items() if k != missing}) is None


def test_to_event() -> None:  # the bus delivers catch-up rows as the service's to_event makes them
    assert to_event(Message(id=1, author="a", text="t", created_at=AT.replace(tzinfo=None))) == ChatMessage(
        1, "a", "t", AT
    )
    aware = AT + timedelta(hours=1)
    assert to_event(Message(id=2, author="a", text="t", created_at=aware)).created_at is aware


def test_no_trace_carrier() -> None:
    carrier = NoTraceCarrier()
    assert carrier.current() == {}
    with carrier.attached({"traceparent": "x"}) as value:
        assert value is None


def test_messages_published_here_are_left_to_the_listener_and_presence_is_local() -> None:
    bus, _, seen, _, carrier = make()
    bus.publish(ChatMessage(1, "ann", "hi", AT))
    assert seen == []
    presence = PresenceChanged(("ann",), 1)
    bus.publish(presence)
    assert seen == [presence]
    assert bus.subscriber_count == 1
    row = Message(id=3, author="ann", text="x", created_at=AT)
    assert json.loads(bus.payload(row))["trace"] == carrier.current()


def test_health_follows_the_listener(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(pg_bus.time, "monotonic", lambda: now[0])
    bus, *_ = make()
    assert not bus.listening and bus.healthy()  # not listening yet, but not down for long
    now[0] += pg_bus.DOWN_LIMIT_SECONDS
    assert bus.healthy()
    now[0] += 0.01
    assert not bus.healthy()
    bus._down_since = None
    assert bus.listening and bus.healthy()


async def test_the_first_catch_up_only_learns_the_last_id() -> None:
    bus, _, seen, _, _ = make(rows=3)
    await bus._catch_up()
    assert bus._last_id == 3 and seen == []


async def test_the_next_id_is_delivered_from_the_payload_in_the_senders_trace() -> None:
    bus, store, seen, metrics, carrier = make(rows=2)
    await bus._catch_up()
    await bus._on_notification(wire(3, "from payload", trace={"traceparent": "p"}))
    assert seen == [ChatMessage(3, "ann", "from payload", AT)]
    assert bus._last_id == 3
    assert metrics.notifications == 1 and len(metrics.lags) == 1 and metrics.lags[0] > 0
    assert carrier.attached_to == [{"traceparent": "p"}]
    reads = list(store.calls)
    await bus._on_notification(wire(3, "again"))  # delivered already: not even a look at the table
    await bus._on_notification(wire(2, "older"))
    assert len(seen) == 1 and metrics.notifications == 3
    assert store.calls == reads
    await bus._on_notification(wire(4, trace="not a dict"))
    assert carrier.attached_to[-1] == {}


async def test_a_hole_or_an_id_only_payload_reads_the_table() -> None:
    bus, store, seen, _, _ = make(rows=1)
    await bus._catch_up()
    for n in (2, 3, 4):
        store._row("ann", f"m{n}")
    await bus._on_notification(json.dumps({"id": 4}))  # ids 2 and 3 not notified yet
    assert [m.text for m in seen] == ["m2", "m3", "m4"] and bus._last_id == 4
    store._row("ann", "m5")
    await bus._on_notification(json.dumps({"id": 5}))  # the next id, too big to carry its text
    assert [m.text for m in seen][-1] == "m5"
    await bus._on_notification(wire(8, "ahead"))  # a hole, and not in the table (yet): nothing invented
    assert len(seen) == 4 and bus._last_id == 5


async def test_catch_up_reads_every_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pg_bus, "CATCH_UP_PAGE", 2)
    bus, store, seen, _, _ = make(rows=1)
    await bus._catch_up()
    for n in range(2, 7):
        store._row("ann", f"m{n}")
    await bus._catch_up()
    assert [m.id for m in seen] == [2, 3, 4, 5, 6]
    store._row("ann", "m7")
    store._row("ann", "m8")
    await bus._catch_up()  # a full last page: one more read finds nothing
    assert [m.id for m in seen][-2:] == [7, 8]
    assert [c for c in store.calls if c.startswith("following")] == [
        "following 1 2",
        "following 3 2",
        "following 5 2",
        "following 6 2",
        "following 8 2",
    ]


async def test_the_lag_is_measured_in_milliseconds(monkeypatch: pytest.MonkeyPatch) -> None:
    class Clock(datetime):
        @classmethod
        def now(cls, tz: object = None) -> Clock:  # type: ignore[override]
            return cast(Clock, AT + timedelta(seconds=2.5))

    monkeypatch.setattr(pg_bus, "datetime", Clock)
    bus, _, _, metrics, _ = make(rows=1)
    await bus._catch_up()
    await bus._on_notification(wire(2))
    assert metrics.lags == [2500.0]


async def test_a_bus_never_started_stops_and_has_no_connection() -> None:
    bus, *_ = make()
    assert bus.connection is None and bus._listener.task is None
    await bus.stop()
    await bus._close()
    assert bus.connection is None


async def test_presence_notifications_wake_the_presence_readers() -> None:
    bus, _, seen, metrics, _ = make()
    woken: list[str] = []
    bus.on_presence(lambda: woken.append("one"))
    bus.on_presence(lambda: woken.append("two"))
    await bus._on_notification(json.dumps({"presence": True}))
    assert woken == ["one", "two"] and seen == [] and metrics.notifications == 0
    await bus._catch_up()
    await bus._on_notification(json.dumps({"presence": False, "id": 1}))
    assert woken == ["one", "two"] and metrics.notifications == 1


@pytest.mark.parametrize("payload", ["not json", "[]", '"text"', "{}", '{"id": "x"}', '{"id": null}'])
async def test_a_notification_of_unknown_shape_is_logged_and_ignored(
    payload: str, caplog: pytest.LogCaptureFixture
) -> None:
    bus, _, seen, metrics, _ = make(rows=1)
    await bus._catch_up()
    with caplog.at_level(logging.WARNING, logger="app.chat.pg_bus"):
        await bus._on_notification(payload)
    assert seen == [] and metrics.notifications == 0
    assert [r.getMessage() for r in caplog.records] == [
        f"ignoring a bus notification of unknown shape: {payload[:200]!r}"
    ]


class Notify:
    def __init__(self, payload: str) -> None:
        self.payload = payload


class FakeConnection:
    """A listener connection: `queue` feeds notifications; None in it drops the connection."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.pings = 0
        self.closed = False
        self.fail_close = False

    async def notifies(self, timeout: float) -> AsyncIterator[Notify]:
        while True:
            try:
                payload = await asyncio.wait_for(self.queue.get(), timeout)
            except TimeoutError:
                return
            if payload is None:
                raise OSError("connection lost")
            yield Notify(payload)

    async def execute(self, query: str) -> None:
        assert query == "SELECT 1"
        self.pings += 1

    async def close(self) -> None:
        self.closed = True
        if self.fail_close:
            raise OSError("already gone")


async def test_the_listener_connects_delivers_pings_reconnects_and_catches_up(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(pg_bus, "BACKOFF_FIRST", 0.01)
    monkeypatch.setattr(pg_bus, "LIVENESS_SECONDS", 0.05)
    connections: list[FakeConnection] = []
    attempts: list[tuple[str, float]] = []

    async def connect(url: str, timeout: float) -> FakeConnection:
        attempts.append((url, timeout))
        if len(attempts) == 1:
            raise OSError("refused")
        connections.append(FakeConnection())
        return connections[-1]

    monkeypatch.setattr(pg_bus, "listener_connection", connect)
    bus, store, seen, metrics, _ = make(rows=2)
    woken: list[bool] = []
    bus.on_presence(lambda: woken.append(bus.listening))
    with caplog.at_level(logging.INFO, logger="app.chat.pg_bus"):
        bus.start()
        try:
            await until(lambda: bus.listening)
            assert attempts[0] == ("postgresql+psycopg://x/y", pg_bus.CONNECT_TIMEOUT)
            assert bus._last_id == 2 and woken == [True] and bus.connection is connections[0]
            store._row("ann", "m3")
            connections[0].queue.put_nowait(wire(3, "m3"))
            await until(lambda: len(seen) == 1)
            await until(lambda: connections[0].pings >= 2)  # idle: the connection is checked
            store._row("ann", "m4")  # stored while the connection is down: never notified
            connections[0].fail_close = True
            connections[0].queue.put_nowait(None)
            await until(lambda: len(connections) == 2 and bus.listening)
            assert connections[0].closed and bus.connection is connections[1]
            await until(lambda: [m.text for m in seen] == ["m3", "m4"])
            assert metrics.reconnects == 1 and woken == [True, True]
        finally:
            await bus.stop()
    messages = [r.getMessage() for r in caplog.records]
    assert any(
        m.startswith("the bus listener cannot connect (OSError('refused')); retrying in 0.0")
        for m in messages
    )
    assert any(
        m.startswith("the bus listener lost its connection (OSError('connection lost'))") for m in messages
    )
    assert "the bus listener is connected again; catching up from message 3" in messages
    assert bus._listener.task is None
    await bus.stop()  # twice: harmless


async def test_the_listener_is_down_while_it_cannot_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pg_bus, "BACKOFF_FIRST", 0.01)
    monkeypatch.setattr(pg_bus, "BACKOFF_MAX", 0.02)
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(delay: float) -> None:
        delays.append(delay)
        await real_sleep(0)

    async def refuse(url: str, timeout: float) -> FakeConnection:
        raise OSError("refused")

    monkeypatch.setattr(pg_bus, "listener_connection", refuse)
    monkeypatch.setattr(pg_bus.asyncio, "sleep", sleep)
    bus, *_ = make()
    bus.start()
    try:
        while len(delays) < 4:  # (asyncio.sleep is the recording one here)
            await real_sleep(0.005)
    finally:
        await bus.stop()
    assert delays[:4] == [0.01, 0.02, 0.02, 0.02]  # doubling, up to the maximum
    assert not bus.listening


async def test_backoff_doubles_after_a_dropped_connection_and_the_bus_is_down_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pg_bus, "BACKOFF_FIRST", 0.01)
    monkeypatch.setattr(pg_bus, "BACKOFF_MAX", 0.05)
    sleeps: list[float] = []
    real_sleep = asyncio.sleep
    gate = asyncio.Event()
    connections: list[FakeConnection] = []

    async def sleep(delay: float) -> None:
        sleeps.append(delay)
        await real_sleep(0)

    async def connect(url: str, timeout: float) -> FakeConnection:
        if connections:  # the second time: the database is away until the gate opens
            await gate.wait()
            raise OSError("refused")
        connections.append(FakeConnection())
        connections[0].queue.put_nowait(None)  # drops at once
        return connections[0]

    monkeypatch.setattr(pg_bus, "listener_connection", connect)
    monkeypatch.setattr(pg_bus.asyncio, "sleep", sleep)
    bus, *_ = make()
    bus.start()
    task = bus._listener.task
    assert task is not None and task.get_name() == "chat bus listener"
    try:
        while not (connections and connections[0].closed):
            await real_sleep(0.005)
        assert not bus.listening  # down since the drop
        gate.set()
        while len(sleeps) < 4:
            await real_sleep(0.005)
    finally:
        await bus.stop()
    assert task.done()  # stop waits for the listener to end
    assert sleeps[:4] == [0.01, 0.02, 0.04, 0.05]


async def test_a_hanging_close_and_a_hanging_liveness_check_are_given_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert pg_bus.CLOSE_SECONDS == 1.0
    monkeypatch.setattr(pg_bus, "CLOSE_SECONDS", 0.01)
    monkeypatch.setattr(pg_bus, "LIVENESS_SECONDS", 0.02)
    monkeypatch.setattr(pg_bus, "BACKOFF_FIRST", 0.01)
    connections: list[FakeConnection] = []
    never = asyncio.Event()

    class Hanging(FakeConnection):
        async def execute(self, query: str) -> None:
            await never.wait()

        async def close(self) -> None:
            self.closed = True
            await never.wait()

    async def connect(url: str, timeout: float) -> FakeConnection:
        connections.append(Hanging())
        return connections[-1]

    monkeypatch.setattr(pg_bus, "listener_connection", connect)
    bus, *_ = make()
    bus.start()
    try:
        await until(
            lambda: len(connections) >= 2
        )  # the check timed out, the close was abandoned, reconnected
        assert connections[0].closed
    finally:
        await bus.stop()


async def test_pages_rendered_before_the_first_connection_get_what_came_after_their_history() -> None:
    bus, store, seen, _, _ = make(rows=5)
    bus.history_shown(4)
    bus.history_shown(2)  # the oldest history end wins
    bus.history_shown(3)
    await bus._catch_up()
    assert [m.id for m in seen] == [3, 4, 5] and bus._last_id == 5
    bus.history_shown(1)  # listening already: the bus is past it
    store._row("ann", "m6")
    await bus._catch_up()
    assert [m.id for m in seen] == [3, 4, 5, 6]


def test_the_local_bus_needs_no_history_end() -> None:
    bus = LocalBus()
    assert bus.history_shown(3) is None


def test_a_typing_payload_is_the_signal_and_its_origin_only() -> None:
    payload = pg_bus.typing_payload(Typing("Zoë", "tab-1", stopped=True), "here")
    assert payload == '{"typing":{"name":"Zoë","tab":"tab-1","stopped":true},"origin":"here"}'
    assert pg_bus._typing_from(json.loads(payload)["typing"]) == Typing("Zoë", "tab-1", stopped=True)
    assert pg_bus._typing_from({"name": "a", "tab": "t", "stopped": False}) == Typing("a", "t")
    for bad in (None, "a", [], {}, {"name": "a", "tab": "t"}, {"name": 1, "tab": "t", "stopped": False}):
        assert pg_bus._typing_from(bad) is None
    assert pg_bus._typing_from({"name": "a", "tab": 2, "stopped": False}) is None
    assert pg_bus._typing_from({"name": "a", "tab": "t", "stopped": 0}) is None


async def test_typing_published_here_goes_to_the_tabs_here_and_out_to_the_others() -> None:
    bus, _, seen, _, _ = make()
    bus.publish(Typing("ann", "t"))
    assert seen == [Typing("ann", "t")]
    assert json.loads(bus._typing_out.get_nowait()) == {
        "typing": {"name": "ann", "tab": "t", "stopped": False},
        "origin": bus._origin,
    }
    for n in range(pg_bus.TYPING_QUEUE + 5):  # the database is slow: the queue is bounded, the tabs get all
        bus.publish(Typing("ann", f"t{n}"))
    assert bus._typing_out.qsize() == pg_bus.TYPING_QUEUE
    assert len(seen) == pg_bus.TYPING_QUEUE + 6


async def test_typing_from_another_instance_is_delivered_and_our_own_is_not(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus, _, seen, metrics, _ = make()
    other = pg_bus.typing_payload(Typing("bob", "b"), "another instance")
    own = pg_bus.typing_payload(Typing("ann", "a"), bus._origin)
    with caplog.at_level(logging.WARNING, logger="app.chat.pg_bus"):
        await bus._on_notification(other)
        await bus._on_notification(own)
        await bus._on_notification(json.dumps({"typing": {"name": "x"}, "origin": "o"}))
        await bus._on_notification(json.dumps({"typing": None}))
    assert seen == [Typing("bob", "b")]
    assert metrics.notifications == 0 and caplog.records == []


async def test_queued_typing_goes_out_in_batches_and_a_failure_is_told_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bus, store, *_ = make()
    store.engine = "the engine"  # type: ignore[attr-defined]
    sent: list[list[str]] = []
    failing = [True, True, False, True]
    done = asyncio.Event()

    async def notify(engine: object, payloads: list[str]) -> None:
        assert engine == "the engine"
        sent.append([json.loads(p)["typing"]["tab"] for p in payloads])
        if len(sent) == len(failing):
            done.set()
        if failing[len(sent) - 1]:
            raise OSError("the database is away")

    monkeypatch.setattr(pg_bus, "notify", notify)
    for tab in ("a", "b"):
        bus.publish(Typing("ann", tab))
    with caplog.at_level(logging.WARNING, logger="app.chat.pg_bus"):
        task = asyncio.create_task(bus._typing_sender.run())
        try:
            for tab in ("c", "d", "e"):
                while bus._typing_out.qsize():
                    await asyncio.sleep(0.001)
                bus.publish(Typing("ann", tab))
            await asyncio.wait_for(done.wait(), 5)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert sent[0] == ["a", "b"]  # what waited went out in one transaction
    assert [tab for batch in sent for tab in batch] == ["a", "b", "c", "d", "e"]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages  # once for the first outage, once for the next after a success
    assert all(m.startswith("sending typing signals failed (OSError(") for m in messages)


async def test_the_typing_sender_runs_from_start_to_stop_and_gives_up_a_hanging_send(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def no_database(*_: object) -> None:
        raise OSError("no database here")

    monkeypatch.setattr(pg_bus, "listener_connection", no_database)
    monkeypatch.setattr(pg_bus, "TYPING_SEND_SECONDS", 0.05)
    bus, store, *_ = make()
    store.engine = "the engine"  # type: ignore[attr-defined]
    sent: list[str] = []

    async def notify(_engine: object, payloads: list[str]) -> None:
        sent.extend(json.loads(p)["typing"]["tab"] for p in payloads)
        if sent == ["hangs"]:
            await asyncio.Event().wait()  # a send that never ends is given up after TYPING_SEND_SECONDS

    monkeypatch.setattr(pg_bus, "notify", notify)
    with caplog.at_level(logging.WARNING, logger="app.chat.pg_bus"):
        bus.start()
        task = bus._typing_sender.task
        assert task is not None and task.get_name() == "chat typing"
        bus.publish(Typing("ann", "hangs"))
        async with asyncio.timeout(5):
            while not any(
                "sending typing signals failed (TimeoutError" in r.getMessage() for r in caplog.records
            ):
                await asyncio.sleep(0.01)
        bus.publish(Typing("ann", "next"))
        async with asyncio.timeout(5):
            while sent != ["hangs", "next"]:
                await asyncio.sleep(0.01)
        await bus.stop()
    assert task.done() and bus._typing_sender.task is None

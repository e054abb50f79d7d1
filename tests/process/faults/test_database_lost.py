"""The database goes away under a chat in use: PostgreSQL backends terminated during a stream of sends, a
send's own connection terminated mid-insert, a SQLite file write-locked by another process. Nothing is shown
as sent that was not stored, nothing stored is lost, and the next sends work without a restart."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import uuid
from pathlib import Path

import psycopg

from app.chat.bus import LocalBus
from app.chat.events import Event
from app.chat.service import ChatService
from app.config import async_database_url, sync_database_url
from app.store.database import create_engine
from app.store.messages import MessageStore
from app.store.migrate import upgrade
from app.store.notify import ORDER_LOCK_KEY
from tests.support.databases import postgres_database, stored_sends, terminate_backends
from tests.support.server import PATIENT_READY_TIMEOUT, ChatServer
from tests.support.simtab import SimTab, wait_all
from tests.support.wait import eventually

SENDS = 60


async def test_backends_terminated_during_a_stream_of_sends(tmp_path: Path) -> None:
    with postgres_database() as database:
        server = ChatServer(tmp_path, {"DATABASE_URL": database}, ready_timeout=PATIENT_READY_TIMEOUT)
        server.start()
        tabs = [await SimTab(server.url).open() for _ in range(3)]
        sends: dict[str, SimTab] = {}
        killing = True

        async def killer() -> int:
            kills = 0
            while killing:
                kills += await asyncio.to_thread(terminate_backends, database)
                await asyncio.sleep(random.uniform(0.05, 0.4))
            return kills

        try:
            kill_task = asyncio.create_task(killer())
            for n in range(SENDS):
                tab = tabs[n % len(tabs)]
                sends[await tab.send(f"user{n % 3}", f"message {n} while backends die")] = tab
                await asyncio.sleep(0.05)
            for client_msg_id, tab in sends.items():
                await tab.wait_for(lambda t=tab, c=client_msg_id: c in t.answers, "every send answered")
            killing = False
            assert await kill_task > 0
            rows = await asyncio.to_thread(stored_sends, database)
            answered = {cid: tab.answers[cid] for cid, tab in sends.items()}
            stored_now = {cid: a["message_id"] for cid, a in answered.items() if a["status"] == "stored"}
            rejected = {cid for cid, a in answered.items() if a["status"] == "rejected"}
            assert stored_now, "some sends got through"
            for cid in rejected:
                assert "cannot store messages right now" in answered[cid]["error"]
                assert cid not in rows, "a send answered as not stored is in the database"
            assert {cid: rows[cid] for cid in stored_now} == stored_now, "every stored answer is a row"
            assert set(rows) == set(stored_now), "no row that was not answered as stored"
            # every tab gets every stored message, once (the bus listener was killed too and caught up)
            await wait_all(
                tabs, lambda t: set(stored_now.values()) <= set(t.received), "every stored message"
            )
            for tab in tabs:
                assert len(tab.received) == len(set(tab.received)), "a message arrived twice"
                assert not set(tab.received) - set(rows.values()), "a tab got a message that is not stored"

            # the pool and the listener recovered by themselves: the next sends are stored and delivered
            after = [await tab.send("ann", f"after the storm {i}") for i, tab in enumerate(tabs)]
            for cid, tab in zip(after, tabs, strict=True):
                await tab.wait_for(lambda t=tab, c=cid: c in t.answers, "an answer after the storm")
                assert tab.answers[cid]["status"] == "stored"
            ids = {tab.answers[cid]["message_id"] for cid, tab in zip(after, tabs, strict=True)}
            await wait_all(tabs, lambda t: ids <= set(t.received), "the messages after the storm")
        finally:
            killing = False
            for tab in tabs:
                await tab.close()
            server.stop()


async def test_a_send_whose_connection_is_terminated_mid_insert_is_retried_and_stored_once() -> None:
    """The insert waits for the order lock held elsewhere; its backend is terminated while it waits; the
    service tries again on a fresh connection: one row, published once, no error for the sender."""
    with postgres_database() as url:
        upgrade(sync_database_url(url))
        engine = create_engine(async_database_url(url))
        store = MessageStore(engine, announce=lambda row: str(row.id))  # the PostgreSQL bus path: order lock
        bus = LocalBus()
        published: list[Event] = []
        bus.subscribe(published.append)
        service = ChatService(store, bus, history_limit=5, rate_limit=0)
        client_msg_id = str(uuid.uuid4())
        try:
            with psycopg.connect(url, autocommit=True) as holder:
                holder.execute("BEGIN")
                holder.execute(f"SELECT pg_advisory_xact_lock({ORDER_LOCK_KEY})")
                sending = asyncio.create_task(service.post_message("ann", "survives", client_msg_id))

                def waiting_backend() -> int | None:
                    with psycopg.connect(url, autocommit=True) as probe:
                        row = probe.execute(
                            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                            "AND wait_event_type = 'Lock' AND pid <> %s",
                            (holder.info.backend_pid,),
                        ).fetchone()
                    return int(row[0]) if row else None

                await eventually(lambda: waiting_backend() is not None, "the insert waiting for the lock")
                pid = waiting_backend()
                holder.execute("SELECT pg_terminate_backend(%s)", (pid,))
                await eventually(lambda: waiting_backend() is None, "the waiting backend gone")
                holder.execute("COMMIT")
            message = await asyncio.wait_for(sending, 30)
            assert [m.id for m in published] == [message.id]  # type: ignore[attr-defined]
            assert await asyncio.to_thread(stored_sends, url) == {client_msg_id: message.id}
        finally:
            await engine.dispose()


async def test_sqlite_write_locked_by_another_process(tmp_path: Path) -> None:
    """Another process holds SQLite's write lock: the send is refused after the busy timeout (5 s) with
    the "cannot store" error and not shown to anyone; once the lock is gone the same send is stored once."""
    server = ChatServer(tmp_path, ready_timeout=PATIENT_READY_TIMEOUT)
    server.start()
    sender, other = await SimTab(server.url).open(), await SimTab(server.url).open()
    try:
        locker = sqlite3.connect(server.database_url.removeprefix("sqlite:///"), isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # the write lock, held
        client_msg_id = str(uuid.uuid4())
        send = {"client_msg_id": client_msg_id, "name": "ann", "text": "while locked"}
        await sender.emit("send", send)
        await sender.wait_for(lambda: client_msg_id in sender.answers, "the answer while locked")
        answer = sender.answers.pop(client_msg_id)
        assert answer["status"] == "rejected"
        assert "cannot store messages right now" in answer["error"]
        assert "database is locked" in server.log()
        assert await asyncio.to_thread(stored_sends, server.database_url) == {}
        locker.execute("ROLLBACK")
        locker.close()

        await sender.emit("send", send)  # the browser sends the kept text again, with the same id
        await sender.wait_for(lambda: client_msg_id in sender.answers, "the answer after the lock")
        assert sender.answers[client_msg_id]["status"] == "stored"
        message_id = sender.answers[client_msg_id]["message_id"]
        await wait_all([sender, other], lambda t: message_id in t.received, "the message")
        assert sender.received == other.received == [message_id], "the refused send was never shown"
        assert await asyncio.to_thread(stored_sends, server.database_url) == {client_msg_id: message_id}
    finally:
        await sender.close()
        await other.close()
        server.stop()

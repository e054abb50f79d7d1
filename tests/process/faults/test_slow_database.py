"""A slow database: one send's INSERT waits 5 s and more (another transaction holds the same send id,
uncommitted). Other tabs keep chatting; the slow send is answered "not confirmed" after CHAT_SEND_TIMEOUT
with its text kept; when the insert commits at last it is shown once, and the same send again stores nothing
new; a reconcile reports the truth."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import psycopg

from tests.support.databases import postgres_database, stored_sends
from tests.support.server import PATIENT_READY_TIMEOUT, ChatServer
from tests.support.simtab import SimTab, wait_all

SEND_TIMEOUT = 2.0


async def test_one_slow_send_does_not_hold_up_the_others(tmp_path: Path) -> None:
    with postgres_database() as database:
        # the local bus: the PostgreSQL bus orders all inserts with one lock, so there a slow insert
        # holds up every send (see the README); the fan-out is not held up either way
        env = {"DATABASE_URL": database, "CHAT_BUS": "local", "CHAT_SEND_TIMEOUT": str(SEND_TIMEOUT)}
        server = ChatServer(tmp_path, env, ready_timeout=PATIENT_READY_TIMEOUT)
        server.start()
        slow, other = await SimTab(server.url).open(), await SimTab(server.url).open()
        client_msg_id = str(uuid.uuid4())
        try:
            with psycopg.connect(database) as holder:  # a transaction: the row stays uncommitted
                holder.execute(
                    "INSERT INTO message (author, text, created_at, client_msg_id)"
                    " VALUES ('x', 'x', now(), %s)",
                    (client_msg_id,),
                )
                send = {"client_msg_id": client_msg_id, "name": "ann", "text": "slow one"}
                await slow.emit("send", send)
                for n in range(5):  # meanwhile another tab chats, and both tabs see it at once
                    sent = await other.send("bob", f"bob while ann waits {n}")
                    await other.wait_for(lambda s=sent: s in other.answers, "bob's answer")
                    assert other.answers[sent]["status"] == "stored"
                    message_id = other.answers[sent]["message_id"]
                    await wait_all([slow, other], lambda t, m=message_id: m in t.received, "bob's message")
                assert client_msg_id not in slow.answers, "bob's five sends were quicker than the slow one"
                await slow.wait_for(lambda: client_msg_id in slow.answers, "the slow send's answer")
                answer = slow.answers.pop(client_msg_id)
                assert answer["status"] == "rejected"
                assert "Not confirmed: the chat is slow" in answer["error"]
                await slow.emit("reconcile", {"ids": [client_msg_id], "nonce": "while-slow"})
                holder.rollback()  # the slow insert goes through now

            await slow.wait_for(lambda: len(slow.reconciled) == 1, "the reconcile")
            assert slow.reconciled[0]["nonce"] == "while-slow"
            rows = await asyncio.to_thread(stored_sends, database)
            assert client_msg_id in rows, "the slow insert committed in the end"
            late_id = rows[client_msg_id]
            assert slow.reconciled[0]["stored"] == {client_msg_id: late_id}, "the reconcile tells the truth"
            await wait_all([slow, other], lambda t: late_id in t.received, "the late message, shown to all")

            await slow.emit("send", send)  # the kept text sent again: the same id
            await slow.wait_for(lambda: client_msg_id in slow.answers, "the answer to the repeat")
            assert slow.answers[client_msg_id] == {
                "client_msg_id": client_msg_id,
                "status": "stored",
                "message_id": late_id,
            }
            assert list(rows) == list(await asyncio.to_thread(stored_sends, database)), "nothing stored twice"
            for tab in (slow, other):
                assert tab.received.count(late_id) == 1
        finally:
            await slow.close()
            await other.close()
            server.stop()

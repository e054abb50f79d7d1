"""PostgreSQL is out of reach when the server starts: it serves anyway (503, the unavailable page), and when
the database answers it migrates and chats without a restart."""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.process.faults.conftest import through_proxy
from tests.support.databases import postgres_database
from tests.support.http import get, health
from tests.support.server import PATIENT_READY_TIMEOUT, ChatServer
from tests.support.simtab import SimTab
from tests.support.wait import eventually


async def test_server_starts_without_the_database_and_recovers_without_a_restart(tmp_path: Path) -> None:
    with postgres_database() as database:  # empty: the start-up migration has not run
        proxy, proxied = through_proxy(database)
        proxy.refuse()
        server = ChatServer(
            tmp_path, {"DATABASE_URL": proxied}, ready_status=503, ready_timeout=PATIENT_READY_TIMEOUT
        )
        try:
            server.start()  # ready = /healthz answers, with 503
            assert "serving anyway" in server.log()
            assert "closed the connection at once" in server.log()  # the proxy accepts, then closes
            status, body = health(server.url)
            assert (status, body["status"], body["database"]) == (503, "error", "error")
            status, page = get(server.url + "/")  # the friendly page, retrying by itself
            assert status == 503
            assert "The chat is unavailable right now" in page

            proxy.refuse(False)
            await eventually(lambda: health(server.url)[0] == 200, "/healthz 200 once the database answers")
            assert "schema migrated" in server.log()
            tab = await SimTab(server.url).open()
            try:
                sent = await tab.send("ann", "the database is back")
                await tab.wait_for(lambda: sent in tab.answers, "the answer")
                assert tab.answers[sent]["status"] == "stored"
                await tab.wait_for(lambda: tab.answers[sent]["message_id"] in tab.received, "the message")
            finally:
                await tab.close()
            with psycopg.connect(database) as db:
                rows = db.execute("SELECT text FROM message").fetchall()
            assert rows == [("the database is back",)]
        finally:
            server.stop()
            proxy.close()


def test_a_missing_database_still_stops_the_start(tmp_path: Path) -> None:
    """Out of reach is a fault that passes; a database that does not exist is a mistake in the settings."""
    with postgres_database() as database:
        absent = database.rsplit("/", 1)[0] + "/chat_absent_for_faults"
        server = ChatServer(tmp_path, {"DATABASE_URL": absent}, ready_timeout=PATIENT_READY_TIMEOUT)
        try:
            server.start()
        except RuntimeError as error:
            assert "exited with 1" in str(error)
            assert 'database "chat_absent_for_faults" does not exist' in str(error)
        else:
            raise AssertionError("the server started on a database that does not exist")
        finally:
            server.stop()

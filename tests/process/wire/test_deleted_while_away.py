"""A tab whose connection was down while a message was deleted drops it when it reconnects (no reload):
the server tells it the deletions it saw lately."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from tests.support.server import StartServer
from tests.support.simtab import SimTab


async def test_a_tab_away_during_a_delete_learns_it_on_reconnect(start_server: StartServer) -> None:
    server = start_server()
    away, watching = await SimTab(server.url).open(), await SimTab(server.url).open()
    try:
        send_id = await watching.send("eve", "deleted while a tab was away")
        await watching.wait_for(lambda: send_id in watching.answers, "the answer")
        doomed = watching.answers[send_id]["message_id"]
        await away.wait_for(lambda: doomed in away.received, "the message")
        assert away._ws is not None
        await away._ws.close()  # the connection drops; the server keeps the tab for 3 s (reconnect_timeout)
        # what `delete-message` does, from another process, without its start-up time
        database = server.database_url.removeprefix("sqlite:///")
        with sqlite3.connect(database) as db:
            db.execute(
                "UPDATE message SET text = '', deleted_at = ? WHERE id = ?",
                (datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"), doomed),
            )
        await watching.wait_for(lambda: doomed in watching.deleted, "the deletion")
        assert doomed not in away.deleted
        await away.reconnect()
        await away.wait_for(lambda: doomed in away.deleted, "the deletion, told on reconnect")
    finally:
        await away.close()
        await watching.close()

"""Open tabs do not keep tasks that only wait: NiceGUI's outbox and engine.io's writer wait on futures."""

from __future__ import annotations

import httpx

from tests.support.server import StartServer
from tests.support.simtab import SimTab

TABS = 5


async def test_an_idle_tab_keeps_no_waiting_task_and_still_receives(start_server: StartServer) -> None:
    server = start_server(CHAT_DEBUG_STATS="1")
    tabs = [await SimTab(server.url).open() for _ in range(TABS)]
    try:
        await tabs[0].set_name("Ann")
        sent = await tabs[0].send("Ann", "hello")
        await tabs[0].wait_for(lambda: sent in tabs[0].answers, "the send's answer")
        message_id = tabs[0].answers[sent]["message_id"]
        for tab in tabs:
            await tab.wait_for(lambda tab=tab: message_id in tab.received, "the message at every tab")
        async with httpx.AsyncClient() as client:
            kinds = (await client.get(server.url + "/debugz")).json()["task_kinds"]
        # per tab: uvicorn's connection, engine.io's reader, writer and ping, NiceGUI's outbox loop
        assert kinds.get("Outbox.loop", 0) >= TABS
        # each was one per tab: wait_for(event.wait(), 1.0) in the outbox, wait_for(queue.get()) in the writer
        assert kinds.get("Event.wait", 0) < TABS, kinds  # (the server's own loops may wait on one)
        assert kinds.get("Queue.get", 0) < TABS, kinds
    finally:
        for tab in tabs:
            await tab.close()

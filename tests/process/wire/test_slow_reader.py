"""A tab that stops reading but keeps its connection alive is closed once too much waits for it."""

from __future__ import annotations

import asyncio

from tests.support.server import StartServer
from tests.support.simtab import SimTab, StalledTab

QUEUE_BYTES = 64 * 1024
CLOSED = "closing a tab's connection: more than 65536 bytes waiting"
MAX_MESSAGES = 4000
TEXT = "語" * 900  # 2700 bytes in UTF-8: the kernel takes about 4 MB before the server's writes back up


async def test_a_stalled_reader_is_closed_and_others_keep_receiving(start_server: StartServer) -> None:
    # thousands of sends from one tab: over the per-tab event budget (CHAT_EVENT_RATE) on purpose
    server = start_server(CHAT_WS_QUEUE_BYTES=str(QUEUE_BYTES), CHAT_EVENT_RATE="0")
    watcher, sender = await SimTab(server.url).open(), await SimTab(server.url).open()
    stalled = await StalledTab(server.url).open()
    try:
        await sender.set_name("Sender")
        sent: list[str] = []
        while CLOSED not in server.log():
            assert len(sent) < MAX_MESSAGES, f"the stalled tab was never closed:\n{server.log()}"
            for _ in range(20):
                sent.append(await sender.send("Sender", TEXT))
            await sender.wait_for(lambda: all(id in sender.answers for id in sent), "the sends' answers")
        assert all(sender.answers[id]["status"] == "stored" for id in sent), "a send failed"
        # the stalled tab's socket is gone; the others got every message, in order
        ids = [sender.answers[id]["message_id"] for id in sent]
        more = [await sender.send("Sender", "after the close") for _ in range(3)]
        await sender.wait_for(lambda: all(id in sender.answers for id in more), "the later sends")
        ids += [sender.answers[id]["message_id"] for id in more]
        await watcher.wait_for(lambda: ids[-1] in watcher.received, "every message at the watcher")
        assert watcher.received == ids
        # the server ended the connection: reading again reaches its end
        await asyncio.wait_for(stalled.read_to_end(), 60)
    finally:
        await stalled.close()
        await sender.close()
        await watcher.close()

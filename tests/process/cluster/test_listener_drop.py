"""The listener's connection is killed while messages are being sent: every tab still gets every
message once, in order (catch-up from the table by id after the reconnect)."""

from __future__ import annotations

import asyncio

from tests.support.databases import stored_ids, terminate_backends
from tests.support.server import StartServer
from tests.support.simtab import SimTab, wait_all

LISTENER = "chat-bus-listener"


async def test_terminated_listener_misses_nothing(start_instance: StartServer, postgres_url: str) -> None:
    servers = [start_instance(), start_instance()]
    tabs = [await SimTab(server.url).open() for server in servers for _ in range(2)]
    try:
        sent: list[str] = []
        for index in range(60):
            sender = tabs[index % len(tabs)]
            sent.append(await sender.send(f"user{index % len(tabs)}", f"message {index}"))
            if index in (15, 35):
                assert await asyncio.to_thread(terminate_backends, postgres_url, LISTENER) == len(servers)
            await asyncio.sleep(0.02)  # a steady stream across the drops
        await wait_all(tabs, lambda tab: len(set(tab.received)) >= 60, "60 messages")
        expected = await asyncio.to_thread(stored_ids, postgres_url)
        assert len(expected) == 60
        for tab in tabs:
            assert tab.received == expected, f"{tab.base}: {tab.received}"
    finally:
        for tab in tabs:
            await tab.close()

"""A burst of 1000 messages across three instances while other tabs come and go: the tabs connected
throughout get every message once, in id order; the coming and going ones never see a repeat or a reorder."""

from __future__ import annotations

import asyncio

from tests.support.databases import stored_ids
from tests.support.server import StartServer
from tests.support.simtab import SimTab

MESSAGES = 1000
BURST_WAIT_SECONDS = 120.0


async def test_burst_with_tabs_coming_and_going(start_instance: StartServer, postgres_url: str) -> None:
    servers = [start_instance() for _ in range(3)]
    steady = [await SimTab(server.url).open() for server in servers for _ in range(2)]
    churned: list[SimTab] = []
    stop_churn = asyncio.Event()

    async def churn() -> None:
        n = 0
        while not stop_churn.is_set():
            tab = await SimTab(servers[n % len(servers)].url).open()
            churned.append(tab)
            await asyncio.sleep(0.05)  # pacing the churn, not waiting for a result
            await tab.close()
            n += 1

    churner = asyncio.create_task(churn())
    try:
        for n in range(MESSAGES):
            await steady[n % len(steady)].send(f"user{n % len(steady)}", f"burst {n}")
        await asyncio.gather(
            *(
                tab.wait_for(lambda tab=tab: len(tab.received) >= MESSAGES, "the burst", BURST_WAIT_SECONDS)
                for tab in steady
            )
        )
        stop_churn.set()
        await churner
        expected = await asyncio.to_thread(stored_ids, postgres_url)
        assert len(expected) == MESSAGES
        for tab in steady:
            assert tab.received == expected
        assert churned, "no tab came and went during the burst"
        for tab in churned:
            assert tab.received == sorted(set(tab.received)), (
                "a repeat or a reorder in a tab that came and went"
            )
    finally:
        stop_churn.set()
        await asyncio.gather(churner, return_exceptions=True)
        for tab in steady:
            await tab.close()

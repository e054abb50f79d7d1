"""Tabs per client address and in total: one more gets a short page, 429 or 503; closing frees a slot.

The address is what uvicorn reports: the peer, or X-Forwarded-For when the peer is in uvicorn's
FORWARDED_ALLOW_IPS (default 127.0.0.1), so these tests from 127.0.0.1 can pose as several addresses."""

from __future__ import annotations

import asyncio

from tests.process.hardening.conftest import assert_no_traceback, page
from tests.support.server import StartServer
from tests.support.simtab import SimTab

WAIT_SECONDS = 30


def posing_as(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def test_tabs_over_the_limits_get_the_refusal_page(start_server: StartServer) -> None:
    server = start_server(CHAT_MAX_TABS_PER_IP="2", CHAT_MAX_TABS="3")
    first = [await SimTab(server.url, headers=posing_as("10.0.0.1")).open() for _ in range(2)]
    try:
        status, text = await page(server, posing_as("10.0.0.1"))
        assert status == 429 and "Too many chat tabs are open from your address" in text
        assert (await page(server, posing_as("10.0.0.2")))[0] == 200  # another address: the third tab
        status, text = await page(server, posing_as("10.0.0.3"))
        assert status == 503 and "The chat is full right now" in text
        await first[0].close()  # the server lets the tab go after its reconnect timeout

        async def until_admitted() -> None:
            while (await page(server, posing_as("10.0.0.4")))[0] != 200:
                await asyncio.sleep(0.2)  # polling the server's condition

        await asyncio.wait_for(until_admitted(), WAIT_SECONDS)
        assert (await page(server, posing_as("10.0.0.5")))[0] == 503  # full again
    finally:
        for tab in first:
            await tab.close()
    assert_no_traceback(server)


async def test_no_limits_when_zero(start_server: StartServer) -> None:
    server = start_server(CHAT_MAX_TABS_PER_IP="0", CHAT_MAX_TABS="0")
    statuses = [(await page(server))[0] for _ in range(8)]
    assert statuses == [200] * 8

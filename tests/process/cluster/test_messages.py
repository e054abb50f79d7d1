"""Messages cross instances exactly once, in id order, on every tab."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.server import StartServer
from tests.support.simtab import SimTab, wait_all


def assert_in_order_once(tab: SimTab, expected: list[int]) -> None:
    assert tab.received == expected, f"{tab.base}: got {tab.received}, expected {expected}"


@pytest.mark.parametrize("instances", [2, 3])
async def test_messages_cross_every_way_once_in_order(start_instance: StartServer, instances: int) -> None:
    servers = [start_instance() for _ in range(instances)]
    tabs = [await SimTab(server.url).open() for server in servers for _ in range(2)]
    try:
        sends = []
        for round_ in range(5):
            for index, tab in enumerate(tabs):  # every tab sends, concurrently within a round
                sends.append(tab.send(f"user{index}", f"round {round_} from tab {index}"))
            await asyncio.gather(*sends)
            sends.clear()
        total = 5 * len(tabs)
        await wait_all(tabs, lambda tab: len(tab.received) >= total, f"{total} messages")
        expected = sorted(tabs[0].received)
        assert len(set(expected)) == total
        for tab in tabs:
            assert_in_order_once(tab, expected)
    finally:
        for tab in tabs:
            await tab.close()

"""One online list across instances: the union, each name once; a stopped or killed instance's names go."""

from __future__ import annotations

import json
import urllib.request

from tests.support.server import StartServer
from tests.support.simtab import SimTab, wait_all

KILLED_GONE_SECONDS = 30.0
STOPPED_GONE_SECONDS = 10.0  # "at once": well before the 15 s expiry, with a margin for a busy machine


def health(url: str) -> dict[str, str]:
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
        body: dict[str, str] = json.loads(response.read())
        return body


async def test_union_then_graceful_stop_then_kill(start_instance: StartServer) -> None:
    a, b, c = start_instance(), start_instance(), start_instance()
    assert health(a.url) == {"status": "ok", "database": "ok", "schema": "ok", "bus": "ok"}
    on_a, on_b, ann_on_b, on_c = [await SimTab(s.url).open() for s in (a, b, b, c)]
    tabs = [on_a, on_b, ann_on_b, on_c]
    try:
        await on_a.set_name("ann")
        await on_b.set_name("bob")
        await ann_on_b.set_name("ann")  # one name on two instances: listed once
        await on_c.set_name("cy")
        everyone = ["ann", "bob", "cy"]
        await wait_all(tabs, lambda tab: tab.online == everyone, f"online list {everyone}")

        c.stop()  # graceful: its rows are removed on the way out
        for tab in (on_a, on_b):
            await tab.wait_for(lambda tab=tab: tab.online == ["ann", "bob"], "cy gone", STOPPED_GONE_SECONDS)

        b.kill()  # no goodbye: the others sweep its rows once the heartbeat is stale
        await on_a.wait_for(lambda: on_a.online == ["ann"], "bob gone after kill -9", KILLED_GONE_SECONDS)
    finally:
        for tab in tabs:
            await tab.close()


async def test_local_bus_is_forced_by_chat_bus_local(start_instance: StartServer) -> None:
    server = start_instance(CHAT_BUS="local")
    assert health(server.url) == {"status": "ok", "database": "ok", "schema": "ok"}

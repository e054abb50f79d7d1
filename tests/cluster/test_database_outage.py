"""PostgreSQL goes away for one instance (a TCP proxy refuses and cuts its connections) and comes back:
sends there are refused with a clear error, /healthz says the bus is down, and afterwards every tab has
every message once, in order, without anyone reloading."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import psycopg

from tests.cluster.conftest import StartInstance
from tests.e2e.fault_proxy import FaultProxy
from tests.simtab import SimTab, wait_all

OUTAGE_WAIT_SECONDS = 40.0


def health(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def stored_ids(database_url: str) -> list[int]:
    with psycopg.connect(database_url) as connection:
        return [row[0] for row in connection.execute("SELECT id FROM message ORDER BY id")]


async def wait_health(url: str, status: int, bus: str) -> None:
    async def poll() -> None:
        while (await asyncio.to_thread(health, url))[0:1] != (status,) or (
            await asyncio.to_thread(health, url)
        )[1].get("bus") != bus:
            await asyncio.sleep(0.2)

    await asyncio.wait_for(poll(), OUTAGE_WAIT_SECONDS)


async def test_sends_refused_while_away_and_everything_resumes(
    start_instance: StartInstance, shared_database: str
) -> None:
    target = urlsplit(shared_database)
    proxy = FaultProxy(target.port or 5432)
    proxied = shared_database.replace(f":{target.port}/", f":{proxy.port}/")
    cut_off = start_instance(DATABASE_URL=proxied)
    healthy = start_instance()
    away, other = await SimTab(cut_off.url).open(), await SimTab(healthy.url).open()
    tabs = [away, other]
    try:
        await away.send("ann", "before")
        await wait_all(tabs, lambda tab: len(tab.received) == 1, "the first message")

        proxy.refuse()
        proxy.cut()
        refused = await away.send("ann", "while away")
        await away.wait_for(lambda: refused in away.answers, "an answer to the send while away")
        assert away.answers[refused]["status"] == "rejected"
        assert "cannot store messages right now" in away.answers[refused]["error"]
        for n in range(3):
            await other.send("bob", f"bob while ann is away {n}")
        await other.wait_for(lambda: len(other.received) == 4, "bob's messages on his instance")
        await wait_health(cut_off.url, 503, "error")

        proxy.refuse(False)
        await wait_health(cut_off.url, 200, "ok")
        await away.send("ann", "after")
        await wait_all(tabs, lambda tab: len(tab.received) == 5, "every message")
        expected = await asyncio.to_thread(stored_ids, shared_database)
        for tab in tabs:
            assert tab.received == expected
    finally:
        for tab in tabs:
            await tab.close()
        proxy.close()

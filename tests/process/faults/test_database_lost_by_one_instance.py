"""PostgreSQL goes away for one instance (a TCP proxy refuses and cuts its connections) and comes back:
sends there are refused with a clear error, /healthz says the bus is down, and afterwards every tab has
every message once, in order, without anyone reloading."""

from __future__ import annotations

import asyncio

from tests.process.faults.conftest import through_proxy
from tests.support.databases import stored_ids
from tests.support.http import health
from tests.support.server import StartServer
from tests.support.simtab import SimTab, wait_all
from tests.support.wait import eventually

OUTAGE_WAIT_SECONDS = 40.0


async def wait_health(url: str, status: int, bus: str) -> None:
    def reported() -> bool:
        answer, report = health(url)
        return answer == status and report.get("bus") == bus

    await eventually(reported, f"/healthz {status} with the bus {bus}", OUTAGE_WAIT_SECONDS)


async def test_sends_refused_while_away_and_everything_resumes(
    start_server: StartServer, postgres_url: str
) -> None:
    proxy, proxied = through_proxy(postgres_url)
    cut_off = start_server(DATABASE_URL=proxied)
    healthy = start_server(DATABASE_URL=postgres_url)
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
        expected = await asyncio.to_thread(stored_ids, postgres_url)
        for tab in tabs:
            assert tab.received == expected
    finally:
        for tab in tabs:
            await tab.close()
        proxy.close()

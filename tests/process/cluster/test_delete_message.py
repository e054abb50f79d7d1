"""An operator's delete from the command line reaches the tabs of every instance (PostgreSQL bus)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import aiohttp

from tests.support.server import StartServer
from tests.support.simtab import SimTab, wait_all


async def test_a_delete_from_the_command_line_reaches_tabs_on_both_instances(
    start_instance: StartServer, postgres_url: str
) -> None:
    servers = [start_instance(), start_instance()]
    tabs = [await SimTab(server.url).open() for server in servers for _ in range(2)]
    try:
        send_id = await tabs[0].send("eve", "something abusive")
        await tabs[0].wait_for(lambda: send_id in tabs[0].answers, "the answer")
        abusive = tabs[0].answers[send_id]["message_id"]
        await tabs[2].send("ann", "something fine")
        await wait_all(tabs, lambda tab: len(tab.received) == 2, "both messages")
        command = [sys.executable, "-m", "app", "delete-message", str(abusive), "--reason", "abuse"]
        env = {**os.environ, "DATABASE_URL": postgres_url, "OTEL_SDK_DISABLED": "true"}
        result = await asyncio.to_thread(
            subprocess.run, command, env=env, capture_output=True, text=True, timeout=60
        )
        assert (result.returncode, result.stdout) == (0, f"deleted {abusive}\n"), result.stderr
        await wait_all(tabs, lambda tab: abusive in tab.deleted, "the deletion")
        late = [await SimTab(server.url).open() for server in servers]
        await tabs[1].send("ann", "after the delete")
        await wait_all(late, lambda tab: len(tab.received) == 1, "the next message")
        tabs += late
        async with aiohttp.ClientSession() as http:
            for server in servers:  # a reload on either instance does not bring it back
                async with http.get(server.url + "/") as response:
                    page = await response.text()
                assert "something fine" in page and "something abusive" not in page
    finally:
        for tab in tabs:
            await tab.close()

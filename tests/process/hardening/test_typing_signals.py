""" "is typing" signals from raw tabs: bad values, a tab without a name, and a flood are dropped; at most
one start per 2 s per tab reaches the others. Each check ends with a probe tab's signal: frames and the bus
keep order, so the frame that shows the probe shows everything the hostile tab's earlier events did."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from tests.process.hardening.conftest import assert_no_traceback
from tests.support.server import StartServer
from tests.support.simtab import SimTab

BAD_TYPING: list[Any] = [
    None,
    True,
    1,
    "typing",
    [],
    [True],
    {},
    {"typing": "yes"},
    {"typing": 1},
    {"typing": 0},
    {"typing": None},
    {"typing": [True]},
    {"typing": True, "text": "what I am writing"},  # never the text
    {"typing": True, "name": "Ann"},  # nor a name of its choosing
    {"stopped": False},
]


async def named(server_url: str, name: str) -> SimTab:
    tab = await SimTab(server_url).open()
    await tab.set_name(name)
    await tab.wait_for(lambda: len(tab.name_answers) == 1, f"{name}'s name answered")
    assert tab.name_answers[0]["status"] == "ok"
    return tab


async def settled(tab: SimTab) -> None:
    """Until Mal's tab's earlier events were handled: an answered event after them (same socket, in order)."""
    before = len(tab.name_answers)
    await tab.emit("name", {"name": "Mal"})  # its name already: no rename
    await tab.wait_for(lambda: len(tab.name_answers) > before, "the sequencing answer")


async def test_bad_values_and_a_tab_without_a_name_signal_nothing(start_server: StartServer) -> None:
    server = start_server()
    hostile = await SimTab(server.url).open()
    watcher, probe = await named(server.url, "Wat"), await named(server.url, "Probe")
    try:
        await hostile.typing_signal(True)  # no name yet: it cannot say it types
        await hostile.set_name("Mal")
        await hostile.wait_for(lambda: len(hostile.name_answers) == 1, "Mal's name answered")
        for value in BAD_TYPING:
            await hostile.emit("typing", value)
        await settled(hostile)
        await probe.typing_signal(True)
        await watcher.wait_for(lambda: "Probe" in watcher.typing, "the probe typing")
        assert not any("Mal" in names for names in watcher.typing_seen), watcher.typing_seen
        await hostile.typing_signal(True)  # the one right signal is taken: the budget was not spent
        await watcher.wait_for(lambda: watcher.typing == ["Mal", "Probe"], "Mal typing")
        assert probe.typing == ["Mal", "Probe"]  # the browser leaves out its own name, not the server
    finally:
        for tab in (hostile, watcher, probe):
            await tab.close()
    assert_no_traceback(server)
    assert len(re.findall(r"dropping events", server.output())) == 1  # one line for the hostile tab


async def test_a_flood_of_signals_is_one_start_per_two_seconds(start_server: StartServer) -> None:
    server = start_server()
    hostile = await named(server.url, "Mal")
    watcher, probe = await named(server.url, "Wat"), await named(server.url, "Probe")
    try:
        for _ in range(40):  # start, stop, start, …: only the first start and the first stop count
            await hostile.typing_signal(True)
            await hostile.typing_signal(False)
        await hostile.typing_signal(True)  # the last word is "typing", but within 2 s of the first
        await settled(hostile)
        await probe.typing_signal(True)
        await watcher.wait_for(lambda: "Probe" in watcher.typing, "the probe typing")
        assert watcher.typing == ["Probe"], watcher.typing_seen
        assert sum("Mal" in names for names in watcher.typing_seen) <= 1  # one start reached the room

        async def keep_signalling() -> None:  # as a browser does while its person types on
            while True:
                await hostile.typing_signal(True)
                await asyncio.sleep(0.5)

        signalling = asyncio.create_task(keep_signalling())
        try:
            await watcher.wait_for(lambda: "Mal" in watcher.typing, "Mal typing again, 2 s later")
        finally:
            signalling.cancel()
    finally:
        for tab in (hostile, watcher, probe):
            await tab.close()
    assert_no_traceback(server)

"""A burst of joins and renames reaches every tab as a few coalesced presence frames, the last one right."""

from __future__ import annotations

import asyncio

from app.transport.fanout import PRESENCE_MIN_SECONDS
from tests.simtab import SimTab
from tests.wire.conftest import StartServer

TABS = 25  # each joins with a name, then renames: 50 changes of the online list


async def test_a_burst_of_joins_and_renames_is_coalesced(start_server: StartServer) -> None:
    server = start_server()
    receiver = await SimTab(server.url).open()
    tabs = [await SimTab(server.url).open() for _ in range(TABS)]
    try:
        await asyncio.gather(*(tab.set_name(f"Guest{i}") for i, tab in enumerate(tabs)))
        await asyncio.gather(*(tab.set_name(f"Renamed{i}") for i, tab in enumerate(tabs)))
        expected = sorted(f"Renamed{i}" for i in range(TABS))
        await receiver.wait_for(lambda: sorted(receiver.online) == expected, "the final online list")
        frames = receiver.presence_frames
        span = frames[-1] - frames[0]
        # at most one frame per PRESENCE_MIN_SECONDS on the server; +2 for jitter at the receiving end
        assert len(frames) <= span / PRESENCE_MIN_SECONDS + 2, (len(frames), span)
        assert len(frames) < 2 * TABS // 4, f"{len(frames)} presence frames for {2 * TABS} changes"
        # and nothing more is on its way: the last frame was the newest state
        await tabs[0].set_name("Last")
        await receiver.wait_for(lambda: "Last" in receiver.online, "one more change, delivered alone")
        assert sorted(receiver.online) == sorted(["Last", *expected[1:]])
    finally:
        for tab in [receiver, *tabs]:
            await tab.close()

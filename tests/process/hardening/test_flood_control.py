"""Flood control from raw clients: it counts browsers and tabs, not typed names."""

from __future__ import annotations

import aiohttp

from tests.process.hardening.conftest import assert_no_traceback
from tests.support.server import StartServer
from tests.support.simtab import SimTab

STORED = "stored"


async def test_rotating_names_does_not_lift_the_limit(start_server: StartServer) -> None:
    server = start_server(CHAT_RATE_LIMIT="3", CHAT_RENAME_LIMIT="10")
    flooder, watcher = await SimTab(server.url).open(), await SimTab(server.url).open()
    try:
        ids = [await flooder.send(f"name{n}", f"message {n}") for n in range(8)]
        await flooder.wait_for(lambda: all(i in flooder.answers for i in ids), "all answers")
        statuses = [flooder.answers[i]["status"] for i in ids]
        assert statuses == [STORED] * 3 + ["rejected"] * 5
        for i in ids[3:]:
            assert flooder.answers[i]["field"] == "message"
            assert flooder.answers[i]["error"].startswith("Slow down: wait ")
        await watcher.wait_for(lambda: len(watcher.received) == 3, "the three stored messages")
        assert sorted(watcher.received) == sorted(flooder.answers[i]["message_id"] for i in ids[:3])
    finally:
        await flooder.close()
        await watcher.close()
    assert_no_traceback(server)


async def test_more_tabs_of_one_browser_share_its_limit(start_server: StartServer) -> None:
    server = start_server(CHAT_RATE_LIMIT="2")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        tabs = [await SimTab(server.url, http=browser).open() for _ in range(3)]
        try:
            ids = [await tab.send("Ann", f"from tab {n}") for n, tab in enumerate(tabs)]
            await tabs[2].wait_for(lambda: ids[2] in tabs[2].answers, "the third tab's answer")
            await tabs[0].wait_for(lambda: ids[0] in tabs[0].answers, "the first tab's answer")
            await tabs[1].wait_for(lambda: ids[1] in tabs[1].answers, "the second tab's answer")
            statuses = sorted(tab.answers[i]["status"] for tab, i in zip(tabs, ids, strict=True))
            assert statuses == ["rejected", STORED, STORED]
        finally:
            for tab in tabs:
                await tab.close()


async def test_flooding_as_ann_does_not_lock_out_ann(start_server: StartServer) -> None:
    server = start_server(CHAT_RATE_LIMIT="2")
    mallory, ann = await SimTab(server.url).open(), await SimTab(server.url).open()
    try:
        flood = [await mallory.send("Ann", f"pretending {n}") for n in range(10)]
        await mallory.wait_for(lambda: all(i in mallory.answers for i in flood), "mallory's answers")
        assert [mallory.answers[i]["status"] for i in flood].count(STORED) == 2
        real = await ann.send("Ann", "it is really me")
        await ann.wait_for(lambda: real in ann.answers, "Ann's answer")
        assert ann.answers[real]["status"] == STORED
    finally:
        await mallory.close()
        await ann.close()


async def test_a_rename_loop_is_limited_and_does_not_storm_presence(start_server: StartServer) -> None:
    server = start_server(CHAT_RENAME_LIMIT="3")
    looper, watcher = await SimTab(server.url).open(), await SimTab(server.url).open()
    try:
        await looper.set_name("first")
        await watcher.wait_for(lambda: watcher.online == ["first"], "the looper online")
        frames_before = len(watcher.presence_frames)
        for n in range(60):
            await looper.set_name(f"loop{n}")
        await looper.wait_for(lambda: len(looper.name_answers) == 61, "an answer to every rename")
        statuses = [answer["status"] for answer in looper.name_answers]
        assert statuses == ["ok"] * 4 + ["rejected"] * 57  # the first name is free, then 3 a minute
        assert all(a["error"].startswith("Slow down: wait ") for a in looper.name_answers[4:])
        await watcher.wait_for(lambda: watcher.online == ["loop2"], "the last accepted name")
        assert len(watcher.presence_frames) - frames_before <= 3 * 2  # at most a leave and a join per rename
    finally:
        await looper.close()
        await watcher.close()
    assert_no_traceback(server)

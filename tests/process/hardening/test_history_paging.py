"""Pages of history asked for by a simulated tab: answered in order, bad values refused without an answer
(and without a query), a flood answered "retry" beyond the tab's rate, never a traceback."""

from __future__ import annotations

import re
from typing import Any

from tests.process.hardening.conftest import assert_no_traceback
from tests.process.hardening.test_hostile_events import WRONG_VALUES
from tests.support.http import health
from tests.support.server import StartServer
from tests.support.simtab import SimTab

PAGE = 3
# (kept out of test_hostile_events' every-kind loop: that one stays within the socket guard's burst)
BAD_PAGES: list[Any] = [
    *WRONG_VALUES,
    {"before": 0},
    {"before": -5},
    {"before": 2**53},
    {"before": "12"},
    {"before": 3.5},
    {"before": True},
    {"after": None},
    {"before": 1, "after": 2},
]


async def test_a_tab_pages_back_to_the_beginning(start_server: StartServer) -> None:
    server = start_server(CHAT_HISTORY_LIMIT=str(PAGE))
    tab = await SimTab(server.url).open()
    try:
        ids = []
        for n in range(7):
            sent = await tab.send("Ann", f"message {n}")
            await tab.wait_for(lambda sent=sent: sent in tab.answers, "the answer")
            ids.append(tab.answers[sent]["message_id"])
        before, seen = ids[-1], []
        while True:
            answered = len(tab.pages)
            await tab.emit("page", {"before": before})
            await tab.wait_for(lambda answered=answered: len(tab.pages) > answered, "a page")
            page = tab.pages[-1]
            assert page["before"] == before
            seen[:0] = [m["id"] for m in page["messages"]]
            if page["complete"]:
                break
            before = page["messages"][0]["id"]
        assert seen == ids[:-1]
        await tab.emit("page", {"after": ids[1]})
        await tab.wait_for(lambda: tab.pages[-1].get("after") == ids[1], "a page down")
        assert [m["id"] for m in tab.pages[-1]["messages"]] == ids[2:5] and not tab.pages[-1]["complete"]
    finally:
        await tab.close()
    assert_no_traceback(server)


async def test_bad_page_requests_get_no_answer(start_server: StartServer) -> None:
    server = start_server()
    tab = await SimTab(server.url).open()
    try:
        for value in BAD_PAGES:
            await tab.emit("page", value)
        await tab.emit("page", {"before": 1})  # the one good request, answered after the bad ones
        await tab.wait_for(lambda: len(tab.pages) >= 1, "the good request's answer")
        assert tab.pages == [{"before": 1, "messages": [], "complete": True}]
    finally:
        await tab.close()
    assert_no_traceback(server)
    assert len(re.findall(r"dropping events", server.output())) == 1


async def test_a_flood_of_page_requests_is_bounded(start_server: StartServer) -> None:
    server = start_server(CHAT_EVENT_RATE="0")  # the page's own bound, not the socket guard's
    tab, other = await SimTab(server.url).open(), await SimTab(server.url).open()
    try:
        for _ in range(300):
            await tab.emit("page", {"before": 10})
        await tab.wait_for(lambda: len(tab.pages) == 300, "an answer to every request")  # none left loading
        assert health(server.url)[0] == 200
        answered = [page for page in tab.pages if not page.get("retry")]
        assert (
            answered and len(answered) < 300
        )  # one in flight at a time and the rate: the rest told to retry
        assert all(page == {"before": 10, "messages": [], "complete": True} for page in answered)
        sent = await other.send("Bea", "still chatting")
        await other.wait_for(lambda: sent in other.answers, "a send")
    finally:
        await tab.close()
        await other.close()
    assert_no_traceback(server)

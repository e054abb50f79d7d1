"""Events no browser running our page would send: wrong types, floods, forged logs. The server drops
them with at most a line per tab (never a traceback), and the tab and everyone else keep chatting."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.process.hardening.conftest import assert_no_traceback, wait_for_log
from tests.support.http import health
from tests.support.server import StartServer
from tests.support.simtab import SimTab

WRONG_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    "text",
    [],
    [1, 2],
    {},
    {"name": None},
    {"name": 5},
    {"name": ["Ann"]},
    {"client_msg_id": True, "name": "Ann", "text": "hello"},
    {"client_msg_id": "not-a-uuid", "name": "Ann", "text": "hello"},
    {"client_msg_id": "0b5e7c1e-7d0f-4a55-9b7a-2f1d3c4e5a6b", "name": 1, "text": "hello"},
    {"client_msg_id": "0b5e7c1e-7d0f-4a55-9b7a-2f1d3c4e5a6b", "name": "Ann", "text": {"x": 1}},
    {"ids": "0b5e7c1e-7d0f-4a55-9b7a-2f1d3c4e5a6b"},
    {"ids": [1, 2]},
    {"ids": ["0b5e7c1e-7d0f-4a55-9b7a-2f1d3c4e5a6b"] * 101},
    {"last_id": True, "resume": False},
    {"last_id": "5", "resume": False},
    {"last_id": -1, "resume": False},
    {"last_id": 10**30, "resume": True},
    {"last_id": 2**63, "resume": False},
    {"last_id": 1, "resume": "yes"},
    {"last_id": 1.0, "resume": False},
]


def raw_frames(client_id: str, listeners: dict[str, tuple[str, str]]) -> list[str]:
    """Socket.io frames of every kind NiceGUI listens for, malformed."""
    element, listener = listeners["send"]
    frames: list[Any] = [
        ["event"],
        ["event", None],
        ["event", "string"],
        ["event", {"client_id": client_id}],
        ["event", {"client_id": client_id, "id": "x", "listener_id": listener, "args": []}],
        ["event", {"client_id": client_id, "id": True, "listener_id": listener, "args": []}],
        ["event", {"client_id": client_id, "id": 999999, "listener_id": listener, "args": []}],
        ["event", {"client_id": client_id, "id": int(element), "listener_id": "nope", "args": []}],
        [
            "event",
            {"client_id": client_id, "id": int(element), "listener_id": listener, "args": ["{bad json"]},
        ],
        ["event", {"client_id": client_id, "id": int(element), "listener_id": listener, "args": [1, 2]}],
        ["event", {"client_id": client_id, "id": int(element), "listener_id": listener, "args": "x"}],
        ["event", {"client_id": "someone-else", "id": int(element), "listener_id": listener, "args": []}],
        [
            "event",
            {"client_id": client_id, "id": int(element), "listener_id": listener, "args": ["x" * 40000]},
        ],
        ["javascript_response"],
        ["javascript_response", {"client_id": client_id}],
        ["javascript_response", {"client_id": client_id, "request_id": "nope", "result": 1}],
        ["ack", {"client_id": client_id}],
        ["ack", {"client_id": client_id, "next_message_id": "x"}],
        ["ack", {"client_id": client_id, "next_message_id": -5}],
        ["ack", 7],
        ["log", {"client_id": client_id}],
        ["log", {"client_id": client_id, "level": "critical", "message": "x"}],
        ["log", {"client_id": client_id, "level": "error", "message": ["x"]}],
        ["handshake"],
        ["handshake", {"client_id": client_id}],
        ["handshake", {"client_id": 5, "tab_id": [], "document_id": None}],
        ["handshake", {"client_id": client_id, "tab_id": "t", "document_id": "d", "next_message_id": "x"}],
        ["no_such_event", 1],
        ["connect", {"QUERY_STRING": f"client_id={client_id}&implicit_handshake=true"}],
        ["disconnect", "client disconnect"],
    ]
    encoded = ["42" + json.dumps(frame) for frame in frames]
    return [
        *encoded,
        "42",
        "42[",
        "4",
        "42{}",
        "2garbage",
        "99",
        "42[1,2,3]",
        '451-["event"]',
        "b!!",
        "x",
        "",
    ]


async def chat_works(first: SimTab, second: SimTab, text: str) -> None:
    sent = await first.send("Bea", text)
    await first.wait_for(lambda: sent in first.answers, f"an answer to {text!r}")
    assert first.answers[sent]["status"] == "stored", first.answers[sent]
    message_id = first.answers[sent]["message_id"]
    await second.wait_for(lambda: message_id in second.received, f"{text!r} in the other tab")


async def test_wrong_types_for_every_event(start_server: StartServer) -> None:
    server = start_server()
    hostile, other = await SimTab(server.url).open(), await SimTab(server.url).open()
    try:
        for kind in ("send", "name", "reconcile", "sync", "typing"):
            for value in WRONG_VALUES:
                await hostile.emit(kind, value)
        for frame in raw_frames(hostile.client_id, hostile._listeners):
            await hostile.send_frame(frame)
        await chat_works(hostile, other, "the hostile tab still chats")
        await chat_works(other, hostile, "and hears the others")
        bad_sends = [a for a in hostile.answers.values() if a["status"] == "rejected"]
        assert bad_sends and all("do not agree" in a["error"] for a in bad_sends)
    finally:
        await hostile.close()
        await other.close()
    assert_no_traceback(server)
    drops = re.findall(r"dropping events", server.output())
    assert 1 <= len(drops) <= 2  # the socket guard's line and the page's, not one per event


async def test_resume_flood_on_postgresql(start_server: StartServer, postgres_url: str) -> None:
    server = start_server(DATABASE_URL=postgres_url)
    seed, hostile, other = [await SimTab(server.url).open() for _ in range(3)]
    try:
        for n in range(30):
            await seed.send("Seed", f"history {n}")
        await other.wait_for(lambda: len(other.received) >= 30, "the history")
        for _ in range(3000):
            await hostile.emit("sync", {"last_id": 1, "resume": True})
        assert health(server.url)[0] == 200
        await chat_works(other, seed, "still chatting during the flood")
        for _ in range(2000):
            await hostile.emit("sync", {"last_id": 1, "resume": True})
        await chat_works(seed, other, "and after it")
        assert health(server.url)[0] == 200
    finally:
        for tab in (seed, hostile, other):
            await tab.close()
    assert_no_traceback(server)
    assert len(re.findall(r"dropping events", server.output())) <= 2


async def test_forged_and_flooding_browser_logs(start_server: StartServer) -> None:
    server = start_server()
    hostile, other = await SimTab(server.url).open(), await SimTab(server.url).open()
    try:
        forged = (
            "innocent\nERROR app.main: FORGED LINE\r\n\x1b[31mred\x00" + "x" * 30_000
        )  # under the ws limit
        frame = {"client_id": hostile.client_id, "level": "error", "message": forged}
        await hostile.send_frame("42" + json.dumps(["log", frame]))
        for n in range(150):  # within the tab's event budget: the log's own bucket drops them
            frame = {"client_id": hostile.client_id, "level": "info", "message": f"flood {n}"}
            await hostile.send_frame("42" + json.dumps(["log", frame]))
        await chat_works(hostile, other, "logs did not stop the tab")
    finally:
        await hostile.close()
        await other.close()
    text = server.output()
    browser_lines = [line for line in text.splitlines() if "browser (page" in line]
    assert browser_lines and "innocent ERROR app.main: FORGED LINE" in browser_lines[0]
    assert not any(line.startswith("ERROR app.main: FORGED") for line in text.splitlines())
    assert "\x1b" not in text and "\x00" not in text
    assert max(len(line) for line in browser_lines) < 700
    assert len(browser_lines) <= 5  # the bucket's burst; the rest dropped with one line
    assert_no_traceback(server)


async def test_a_flood_of_events_is_dropped_with_one_line(start_server: StartServer) -> None:
    server = start_server()
    hostile, other = await SimTab(server.url).open(), await SimTab(server.url).open()
    try:
        for _ in range(2000):
            await hostile.emit("reconcile", {"ids": []})
        await wait_for_log(server, r"dropping events \(first: more than")
        await chat_works(other, hostile, "the others are not slowed down")
    finally:
        await hostile.close()
        await other.close()
    drops = re.findall(r"dropping events \(first: more than", server.output())
    assert len(drops) == 1
    assert_no_traceback(server)

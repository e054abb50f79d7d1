"""A bounded fuzz run of the event surface with a fixed seed: random and malformed events and frames
from three hostile tabs while two others chat. The server stays up, answers /healthz, logs no
traceback, and the chatting tabs get every message."""

from __future__ import annotations

import json
import random
import string
from typing import Any

from tests.process.hardening.conftest import assert_no_traceback
from tests.process.hardening.test_hostile_events import chat_works
from tests.support.http import health
from tests.support.server import StartServer
from tests.support.simtab import SimTab

SEED = 20261129
ROUNDS = 8
EVENTS_PER_ROUND = 150
FIELDS = ["client_msg_id", "name", "text", "ids", "nonce", "last_id", "resume", "client_id", "id", "args"]
EVENT_NAMES = ["event", "log", "ack", "javascript_response", "handshake", "connect", "disconnect", "message"]


def random_text(rng: random.Random) -> str:
    alphabet = string.printable + "\x00\x1b\u202e\u200b\u2028😀é\ud7ff"
    return "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 5, 40, 1000, 5000])))


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 2**31, 2**53, 2**63, 10**40, rng.randrange(-1000, 1000)])
    if kind == 3:
        return rng.choice([0.5, -1e300, 1e308])
    if kind in (4, 5):
        return random_text(rng)
    if kind == 6:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = rng.sample(FIELDS, rng.randrange(len(FIELDS)))
    return {key: random_value(rng, depth + 1) for key in keys}


def random_frame(rng: random.Random, tab: SimTab) -> str:
    listeners = list(tab._listeners.values())
    element, listener = rng.choice(listeners)
    kind = rng.randrange(4)
    if kind == 0:  # a well-formed event to a real listener with a random value
        args = [json.dumps(random_value(rng))]
        msg: Any = {"id": int(element), "client_id": tab.client_id, "listener_id": listener, "args": args}
    elif kind == 1:  # an event payload with random fields
        msg = random_value(rng)
        if isinstance(msg, dict) and rng.random() < 0.5:
            msg["client_id"] = tab.client_id
    elif kind == 2:  # garbage frames
        return (
            rng.choice(["4", "42", "43", "45", "b", "9", "x", "", "6", "40", "2", "3"])
            + random_text(rng)[:50]
        )
    else:
        msg = {
            "client_id": tab.client_id,
            "level": rng.choice(["info", "error", 1]),
            "message": random_text(rng),
        }
    return "42" + json.dumps([rng.choice(EVENT_NAMES), msg])


async def test_fuzz_the_event_surface(start_server: StartServer) -> None:
    server = start_server()
    rng = random.Random(SEED)
    good = [await SimTab(server.url).open() for _ in range(2)]
    hostile = [await SimTab(server.url).open() for _ in range(3)]
    reopened = 0
    try:
        for round_number in range(ROUNDS):
            for _ in range(EVENTS_PER_ROUND):
                index = rng.randrange(len(hostile))
                try:
                    await hostile[index].send_frame(random_frame(rng, hostile[index]))
                except (ConnectionError, RuntimeError):  # it closed its own socket: open another tab
                    await hostile[index].close()
                    hostile[index] = await SimTab(server.url).open()
                    reopened += 1
            await chat_works(good[round_number % 2], good[(round_number + 1) % 2], f"round {round_number}")
            assert health(server.url)[0] == 200
    finally:
        for tab in good + hostile:
            await tab.close()
    assert_no_traceback(server)

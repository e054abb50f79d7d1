"""Simulated browsers in the test's own process: NiceGUI's `User` on the real chat page over an in-memory
ASGI transport (no socket, no browser), and what a person does with one."""

from __future__ import annotations

import functools
import gc
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from nicegui import core, ui
from nicegui.testing import User
from nicegui.testing.general import nicegui_reset_globals, prepare_simulation

from app.main import Chat, install
from app.telemetry import Telemetry
from app.ui.chat_page import chat_page
from app.ui.composer import Composer
from app.ui.message_list import MessageList
from app.ui.online_list import OnlineList
from tests.support import wait

NewUser = Callable[[], User]

# waiting on the simulated page: polled every 20 ms, for at most 5 s
until = functools.partial(wait.until, timeout=5.0, poll=0.02)


def http_client() -> httpx.AsyncClient:
    """A client of the simulated app (no socket)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test")


@asynccontextmanager
async def simulated_users(chat: Chat, telemetry: Telemetry | None = None) -> AsyncIterator[NewUser]:
    """Makes users, each a separate simulated browser (own cookies, own storage), on the chat page wired
    as `serve` wires it (with `telemetry` when given)."""
    # NiceGUI's reset collects garbage on the way in and out, the app's GC policy at its start: three full
    # collections of the test process per test (0.1-0.2 s each). Frozen, what was alive before is skipped
    # by the first two; thawed again before the last one, which frees this test's garbage and any before.
    gc.freeze()
    with nicegui_reset_globals():
        os.environ["NICEGUI_USER_SIMULATION"] = "true"
        try:
            prepare_simulation()
            ui.run(chat_page(install(chat, telemetry)), storage_secret="test secret")
            async with core.app.router.lifespan_context(core.app):
                yield lambda: User(http_client())
        finally:
            os.environ.pop("NICEGUI_USER_SIMULATION", None)
            gc.unfreeze()


def shown(user: User) -> list[tuple[str, str]]:
    [element] = user.find(marker="messages").elements
    assert isinstance(element, MessageList)
    return [(m.author, m.text) for m in element.shown]


def online(user: User) -> list[object]:
    [element] = user.find(marker="online").elements
    assert isinstance(element, OnlineList)
    return element._displayed_contents(only_visible=True)


# The browser owns Name and Message; a simulated user has no browser, so these helpers play its part:
# they remember the typed name and emit the composer's events as composer.js does.
_typed_names: dict[int, str] = {}


def type_name(user: User, name: str) -> None:
    _typed_names[id(user)] = name


async def join(user: User, name: str) -> None:
    await user.open("/")
    type_name(user, name)
    user.find(marker="composer").trigger("name", {"name": name})


async def send(user: User, text: str, client_msg_id: str | None = None) -> None:
    payload = {
        "client_msg_id": client_msg_id or str(uuid.uuid4()),
        "name": _typed_names.get(id(user), ""),
        "text": text,
    }
    emit(user, "send", payload)


def emit(user: User, event: str, payload: Any) -> None:
    user.find(marker="composer").trigger(event, payload)


def composer(user: User) -> Composer:
    [element] = user.find(marker="composer").elements
    assert isinstance(element, Composer)
    return element

"""Simulated browsers (NiceGUI's User) against the real page, wired to a fresh SQLite database."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from nicegui import core, ui
from nicegui.testing import User
from nicegui.testing.general import nicegui_reset_globals, prepare_simulation

from app.config import Settings
from app.main import Chat, build_chat, install
from app.ui.chat_page import chat_page

NewUser = Callable[[], User]


@pytest.fixture
def chat(settings: Settings) -> Chat:
    return build_chat(settings)


@pytest.fixture
async def new_user(chat: Chat) -> AsyncIterator[NewUser]:
    """Makes users, each a separate simulated browser (own cookies, own storage)."""
    with nicegui_reset_globals():
        os.environ["NICEGUI_USER_SIMULATION"] = "true"
        try:
            prepare_simulation()
            ui.run(chat_page(install(chat)), storage_secret="test secret")
            async with core.app.router.lifespan_context(core.app):
                yield lambda: User(
                    httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test")
                )
        finally:
            os.environ.pop("NICEGUI_USER_SIMULATION", None)

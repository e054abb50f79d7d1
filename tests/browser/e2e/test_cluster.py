"""Two instances on one PostgreSQL, in a real browser: the name is remembered on the other instance, and
messages and the online list cross."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import BrowserContext, expect

from tests.support.databases import postgres_database
from tests.support.page import join, messages, name_input, online, open_chat, send
from tests.support.server import ChatServer


def test_a_browser_moved_to_another_instance_keeps_its_name(
    new_context: Callable[..., BrowserContext], tmp_path: Path
) -> None:
    with postgres_database() as url:
        env = {"DATABASE_URL": url, "CHAT_STORAGE_SECRET": "s" * 32}
        servers = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            servers.append(ChatServer(tmp_path / name, env))
        a, b = servers
        try:
            a.start()
            b.start()
            context = new_context()
            on_a = open_chat(context, a.url)
            join(on_a, "Ann")
            send(on_a, "hello from A")

            on_b = open_chat(context, b.url)  # the same browser, served by the other instance
            expect(name_input(on_b)).to_have_value("Ann")
            expect(online(on_b).locator(".chat-online-label")).to_have_text(["Ann"])
            expect(messages(on_b)).to_contain_text("hello from A")

            bob = open_chat(new_context(), b.url)
            join(bob, "Bob")
            send(bob, "hello from B")
            expect(messages(on_a)).to_contain_text("hello from B")
            expect(online(on_a).locator(".chat-online-label")).to_have_text(["Ann", "Bob"])
        finally:
            for server in servers:
                server.stop()

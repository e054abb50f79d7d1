"""Page behaviour with simulated users: messages, presence, validation, history, escaping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from nicegui.testing import User

from app.main import Chat
from app.ui.message_list import MessageList
from app.ui.online_list import OnlineList

NewUser = Callable[[], User]


def shown(user: User) -> list[tuple[str, str]]:
    [element] = user.find(marker="messages").elements
    assert isinstance(element, MessageList)
    return [(m.author, m.text) for m in element.shown]


def online(user: User) -> list[object]:
    [element] = user.find(marker="online").elements
    assert isinstance(element, OnlineList)
    return element._displayed_contents(only_visible=True)


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def join(user: User, name: str) -> None:
    await user.open("/")
    user.find(marker="name").clear().type(name).trigger("keydown.enter")


async def send(user: User, text: str) -> None:
    user.find(marker="message").clear().type(text).trigger("keydown.enter")


async def test_two_users_see_each_other(new_user: NewUser, chat: Chat) -> None:
    ann, bob = new_user(), new_user()
    await join(ann, "Ann")
    await join(bob, "Bob")
    await until(lambda: chat.presence.online_users() == ("Ann", "Bob"))
    await bob.should_see("2 online")
    await send(ann, "hello bob")
    await until(lambda: shown(bob) == [("Ann", "hello bob")])
    await send(bob, "hi ann")
    await until(lambda: shown(ann) == [("Ann", "hello bob"), ("Bob", "hi ann")])
    assert shown(bob) == shown(ann)
    assert [m.text for m in await chat.service.recent_messages()] == ["hello bob", "hi ann"]


async def test_send_clears_message_and_keeps_name(new_user: NewUser, chat: Chat) -> None:
    ann = new_user()
    await join(ann, "Ann")
    await send(ann, "first")
    await until(lambda: ann.find(marker="message").elements.pop().value == "")
    assert ann.find(marker="name").elements.pop().value == "Ann"
    await until(lambda: shown(ann) == [("Ann", "first")])  # the input is cleared before the post finishes


async def test_validation_errors_inline_and_nothing_sent(new_user: NewUser, chat: Chat) -> None:
    ann, bob = new_user(), new_user()
    await join(bob, "Bob")
    await ann.open("/")
    await send(ann, "hello")
    await ann.should_see("Name is required")
    ann.find(marker="name").type("N" * 41).trigger("keydown.enter")
    await ann.should_see("at most 40 characters")
    ann.find(marker="name").clear().type("Ann")
    await send(ann, " x ")
    await ann.should_see("at least 2 characters")
    await send(ann, "y" * 1001)
    await ann.should_see("at most 1000 characters")
    assert await chat.service.recent_messages() == []
    assert shown(bob) == []
    assert ann.find(marker="message").elements.pop().value == "y" * 1001, "invalid text stays for editing"


async def test_error_clears_when_text_becomes_valid(new_user: NewUser) -> None:
    ann = new_user()
    await join(ann, "Ann")
    await send(ann, "x")
    await ann.should_see("at least 2 characters")
    ann.find(marker="message").type("y")
    await ann.should_not_see("at least 2 characters")


async def test_html_is_shown_literally(new_user: NewUser, chat: Chat) -> None:
    ann, bob = new_user(), new_user()
    await join(ann, "<b>Ann</b>")
    await bob.open("/")
    payload = "<img src=x onerror=alert(1)>"
    await send(ann, payload)
    await until(lambda: shown(bob) == [("<b>Ann</b>", payload)])
    await bob.should_see("<b>Ann</b>")


async def test_history_on_load_is_the_last_n(new_user: NewUser, chat: Chat) -> None:
    for i in range(7):
        await chat.service.post_message("Old", f"message {i}")
    ann = new_user()
    await ann.open("/")
    assert [text for _, text in shown(ann)] == [f"message {i}" for i in range(2, 7)]
    await ann.should_see("message 6")
    await ann.should_not_see("message 1")


async def test_rename_moves_presence(new_user: NewUser, chat: Chat) -> None:
    ann = new_user()
    await join(ann, "Ann")
    await until(lambda: chat.presence.online_users() == ("Ann",))
    ann.find(marker="name").clear().type("Anna").trigger("keydown.enter")
    await until(lambda: chat.presence.online_users() == ("Anna",))
    await ann.should_see("1 online")


async def test_tab_without_name_is_not_listed(new_user: NewUser, chat: Chat) -> None:
    ann, bob = new_user(), new_user()
    await ann.open("/")
    await join(bob, "Bob")
    await until(lambda: chat.presence.online_users() == ("Bob",))
    assert online(ann) == ["Bob", "1 online"]


async def test_name_is_remembered_and_joins_on_load(new_user: NewUser, chat: Chat) -> None:
    ann = new_user()
    await join(ann, "Ann")
    await until(lambda: chat.presence.tab_count("Ann") == 1)
    await ann.open("/")  # the same browser opens a second tab
    assert ann.find(marker="name").elements.pop().value == "Ann"
    await until(lambda: chat.presence.tab_count("Ann") == 2)
    assert chat.presence.online_users() == ("Ann",)


async def test_same_name_in_two_browsers_counts_once(new_user: NewUser, chat: Chat) -> None:
    first, second = new_user(), new_user()
    await join(first, "Ann")
    await join(second, "Ann")
    await until(lambda: chat.presence.tab_count("Ann") == 2)
    await first.should_see("1 online")


async def test_rate_limited_send_keeps_text(new_user: NewUser, chat: Chat) -> None:
    from app.chat.rate_limit import RateLimiter

    chat.service._rate = RateLimiter(1)
    ann = new_user()
    await join(ann, "Ann")
    await send(ann, "first")
    await until(lambda: shown(ann) == [("Ann", "first")])
    await send(ann, "second")
    await ann.should_see("too fast")
    assert ann.find(marker="message").elements.pop().value == "second"
    assert [m.text for m in await chat.service.recent_messages()] == ["first"]


async def test_store_failure_is_shown_and_text_kept(
    new_user: NewUser, chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(author: str, text: str) -> None:
        raise ConnectionError("database is down")

    monkeypatch.setattr(chat.store, "add", broken)
    ann = new_user()
    await join(ann, "Ann")
    await send(ann, "hello?")
    await ann.should_see("Not sent")
    assert ann.find(marker="message").elements.pop().value == "hello?"
    assert shown(ann) == []

"""Page behaviour with simulated users: messages, presence, validation, history, escaping."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.main import Chat
from tests.support.users import NewUser, composer, emit, join, online, send, shown, type_name, until


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


async def test_a_send_repeated_with_its_id_is_stored_once(new_user: NewUser, chat: Chat) -> None:
    ann = new_user()
    await join(ann, "Ann")
    send_id = str(uuid.uuid4())
    await send(ann, "first", send_id)
    await send(ann, "first", send_id.upper())  # the same UUID, written differently
    await until(lambda: shown(ann) == [("Ann", "first")])
    assert [m.text for m in await chat.service.recent_messages()] == ["first"]


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "hello",
        ["a", "b"],
        {},
        {"client_msg_id": "not-a-uuid", "name": "Ann", "text": "hello"},
        {"client_msg_id": 7, "name": "Ann", "text": "hello"},
        {"client_msg_id": str(uuid.uuid4()), "name": None, "text": "hello"},
        {"client_msg_id": str(uuid.uuid4()), "name": "Ann", "text": 12},
        {"client_msg_id": str(uuid.uuid4()), "name": "Ann", "text": ["hello"]},
    ],
)
async def test_a_malformed_send_is_rejected_not_stored(new_user: NewUser, chat: Chat, payload: Any) -> None:
    ann = new_user()
    await join(ann, "Ann")
    emit(ann, "send", payload)
    await ann.should_see("Reload the page")
    assert await chat.service.recent_messages() == []


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("name", None),
        ("name", {"name": 3}),
        ("reconcile", {"ids": "abc"}),
        ("reconcile", {"ids": ["not-a-uuid"]}),
        ("reconcile", {"ids": [str(uuid.uuid4())] * 101}),
        ("reconcile", 5),
    ],
)
async def test_malformed_events_are_refused_quietly(
    new_user: NewUser, chat: Chat, event: str, payload: Any
) -> None:
    ann = new_user()
    await join(ann, "Ann")
    await until(lambda: chat.presence.online_users() == ("Ann",))
    emit(ann, event, payload)
    await send(ann, "still working")
    await until(lambda: shown(ann) == [("Ann", "still working")])
    assert chat.presence.online_users() == ("Ann",)


@pytest.mark.parametrize(
    "payload",
    [
        None,
        {"last_id": -1, "resume": False},
        {"last_id": True, "resume": False},
        {"last_id": "3", "resume": False},
        {"last_id": 0, "resume": "no"},
    ],
)
async def test_a_malformed_sync_is_refused(new_user: NewUser, payload: Any) -> None:
    ann = new_user()
    await join(ann, "Ann")
    ann.find(marker="messages").trigger("sync", payload)
    await send(ann, "still working")
    await until(lambda: shown(ann) == [("Ann", "still working")])


async def test_validation_errors_inline_and_nothing_sent(new_user: NewUser, chat: Chat) -> None:
    ann, bob = new_user(), new_user()
    await join(bob, "Bob")
    await ann.open("/")
    await send(ann, "hello")
    await ann.should_see("Name is required")
    emit(ann, "name", {"name": "N" * 41})
    await ann.should_see("at most 40 characters")
    type_name(ann, "Ann")
    await send(ann, " x ")
    await ann.should_see("at least 2 characters")
    await send(ann, "y" * 1001)
    await ann.should_see("at most 1000 characters")
    assert await chat.service.recent_messages() == []
    assert shown(bob) == []


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
    emit(ann, "name", {"name": "Anna"})
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
    assert composer(ann).props["initialName"] == "Ann"
    await until(lambda: chat.presence.tab_count("Ann") == 2)
    assert chat.presence.online_users() == ("Ann",)


async def test_same_name_in_two_browsers_counts_once(new_user: NewUser, chat: Chat) -> None:
    first, second = new_user(), new_user()
    await join(first, "Ann")
    await join(second, "Ann")
    await until(lambda: chat.presence.tab_count("Ann") == 2)
    await first.should_see("1 online")


async def test_rate_limited_send_keeps_text(new_user: NewUser, chat: Chat) -> None:
    from app.chat.flood import FloodControl

    chat.service.flood = FloodControl(1)
    ann = new_user()
    await join(ann, "Ann")
    await send(ann, "first")
    await until(lambda: shown(ann) == [("Ann", "first")])
    await send(ann, "second")
    await ann.should_see("Slow down: wait")
    assert [m.text for m in await chat.service.recent_messages()] == ["first"]


async def test_renames_per_tab_are_limited(new_user: NewUser, chat: Chat) -> None:
    from app.chat.flood import FloodControl

    chat.service.flood = FloodControl(0, renames=2)
    ann = new_user()
    await join(ann, "Ann")
    for name in ("Bea", "Cid"):
        ann.find(marker="composer").trigger("name", {"name": name})
        await until(lambda name=name: chat.presence.online_users() == (name,))  # type: ignore[misc]
    ann.find(marker="composer").trigger("name", {"name": "Dan"})
    await ann.should_see("Slow down: wait")
    assert chat.presence.online_users() == ("Cid",)
    type_name(ann, "Eve")
    await send(ann, "as Eve")  # a send with another name is a rename too: refused, nothing stored
    await ann.should_see("Slow down: wait")
    assert await chat.service.recent_messages() == []
    assert chat.presence.online_users() == ("Cid",)


async def test_store_failure_is_shown_and_text_kept(
    new_user: NewUser, chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(author: str, text: str, client_msg_id: str) -> None:
        raise ConnectionError("database is down")

    monkeypatch.setattr(chat.store, "add_once", broken)
    ann = new_user()
    await join(ann, "Ann")
    await send(ann, "hello?")
    await ann.should_see("Not sent")
    assert shown(ann) == []


async def test_messages_under_the_same_name_do_not_rewrite_the_browsers_storage(
    new_user: NewUser, chat: Chat
) -> None:
    from nicegui import app as nicegui_app

    ann = new_user()
    await join(ann, "Ann")
    await send(ann, "first")
    await until(lambda: len(shown(ann)) == 1)
    [storage] = nicegui_app.storage._users.values()
    assert storage["name"] == "Ann"
    writes: list[str] = []
    storage.on_change(lambda: writes.append("write"))  # runs beside the file write, on every change
    for text in ("second", "third"):
        await send(ann, text)
    await until(lambda: len(shown(ann)) == 3)
    assert writes == []  # a file write per message before
    type_name(ann, "Annie")
    await send(ann, "renamed")
    await until(lambda: len(shown(ann)) == 4)
    assert storage["name"] == "Annie" and writes

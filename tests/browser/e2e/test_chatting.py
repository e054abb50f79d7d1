"""Two people chatting in two browsers: delivery both ways, the composer, validation, escaping."""

from __future__ import annotations

import re

from playwright.sync_api import Dialog, Locator, expect

from tests.browser.e2e.conftest import NewPage
from tests.support.page import (
    expect_message,
    join,
    message_input,
    messages,
    name_input,
    online,
    send,
    send_button,
    texts,
)


def test_two_browsers_chat_both_ways(new_page: NewPage) -> None:
    ann, bob = new_page(), new_page()
    join(ann, "Ann")
    join(bob, "Bob")
    send(ann, "hello Bob, from Ann")
    expect_message(bob, "hello Bob, from Ann")
    send(bob, "hi Ann, Bob here")
    expect_message(ann, "hi Ann, Bob here")
    for page in (ann, bob):
        assert texts(page)[-2:] == ["hello Bob, from Ann", "hi Ann, Bob here"]
    own = messages(ann).locator(".chat-own .chat-text")
    expect(own.filter(has_text="hello Bob, from Ann")).to_have_count(1)
    expect(own.filter(has_text="hi Ann, Bob here")).to_have_count(0)
    expect(messages(bob).locator("time").last).to_have_text(re.compile(r"^\d\d:\d\d$"))


def test_composer_focus_counter_and_send_state(new_page: NewPage) -> None:
    page = new_page()
    join(page, "Cleo")
    expect(send_button(page)).to_be_enabled()  # never disabled for validity: a click says what is wrong
    message_input(page).fill("x")
    send_button(page).click()
    expect(page.get_by_text("at least 2 characters")).to_be_visible()
    message_input(page).fill("ok, now valid")
    expect(page.get_by_text("at least 2 characters")).to_have_count(0)
    send_button(page).click()
    expect(message_input(page)).to_have_value("")
    expect(message_input(page)).to_be_focused()
    expect(name_input(page)).to_have_value("Cleo")
    expect_message(page, "ok, now valid")

    counter = page.locator(".chat-counter")
    message_input(page).fill("a" * 899)
    expect(counter).to_have_count(0)
    message_input(page).fill("a" * 950)
    expect(counter).to_have_text("950 / 1000")
    message_input(page).fill("a" * 1001)
    expect(counter).to_have_text("1001 / 1000")
    send_button(page).click()
    expect(page.get_by_text("at most 1000 characters")).to_be_visible()


def test_keyboard_only(new_page: NewPage) -> None:
    page = new_page()
    name_input(page).focus()
    page.keyboard.type("Dora")
    page.keyboard.press("Tab")
    expect(message_input(page)).to_be_focused()
    page.keyboard.type("typed without a mouse")
    page.keyboard.press("Tab")
    expect(send_button(page)).to_be_focused()
    ring = send_button(page).evaluate(
        "el => [getComputedStyle(el).outlineStyle, getComputedStyle(el).boxShadow]"
    )
    assert ring != ["none", "none"], "the focused button shows where the focus is"
    page.keyboard.press("Enter")
    expect_message(page, "typed without a mouse")
    expect(online(page)).to_contain_text("Dora")


def test_reload_keeps_the_name(new_page: NewPage) -> None:
    page = new_page()
    join(page, "Eve")
    page.reload()
    expect(name_input(page)).to_have_value("Eve")
    expect(online(page).locator(".chat-online-label", has_text="Eve")).to_have_count(1)


def refused(field: Locator, value: str, complaint: str) -> None:
    """Enter `value` in `field`: the page shows `complaint` next to it."""
    field.fill(value)
    field.press("Enter")
    expect(field.page.get_by_text(complaint)).to_be_visible()


def test_validation_errors_inline_and_nothing_sent(new_page: NewPage) -> None:
    watcher, page = new_page(), new_page()
    join(watcher, "Watcher")
    before = texts(watcher)

    refused(message_input(page), "no name yet", "Name is required")
    refused(name_input(page), "N" * 41, "at most 40 characters")
    name_input(page).fill("Fay")
    expect(page.get_by_text("at most 40 characters")).to_have_count(0)

    refused(message_input(page), " x ", "at least 2 characters")
    refused(message_input(page), "y" * 1001, "at most 1000 characters")
    expect(message_input(page)).to_have_value("y" * 1001)
    message_input(page).fill("y" * 1000)
    expect(page.get_by_text("at most 1000 characters")).to_have_count(0)

    send(watcher, "watcher marks the end")
    expect_message(page, "watcher marks the end")
    assert texts(watcher) == [*before, "watcher marks the end"][-len(texts(watcher)) :]
    assert not any(text in ("no name yet", "x", "y" * 1001) for text in texts(watcher))


def test_html_and_script_are_shown_literally(new_page: NewPage) -> None:
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    ann, bob = new_page(), new_page()
    for page in (ann, bob):
        page.on("dialog", record)
    payloads = ["<img src=x onerror=alert(1)>", "<script>alert(2)</script>", "<b>bold?</b> {{ 7*7 }}"]
    join(ann, "<b>Ann</b>")
    for payload in payloads:
        send(ann, payload)
    expect_message(bob, payloads[-1])
    assert texts(bob)[-3:] == payloads
    expect(messages(bob).locator(".chat-author").last).to_have_text("<b>Ann</b>")
    expect(online(bob)).to_contain_text("<b>Ann</b>")
    expect(messages(bob).locator("img, script, b")).to_have_count(0)
    assert dialogs == []

"""Odd Unicode in real Chromium: lengths in code points and NFC the same as the server's, invisible names
refused, right-to-left text isolated so it cannot reorder what is around it."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from app.chat.rules import MESSAGE_TOO_LONG, NAME_BAD_CHARACTER, clean_message, clean_name
from tests.browser.e2e.conftest import NewPage
from tests.support.page import expect_message, join, message_input, messages, name_input, online, send, texts

# x position of the middle of each character of an element's text, in the order they are stored
CHARACTER_X = """(element) => {
  const node = element.firstChild, xs = [];
  for (let i = 0; i < node.length; i++) {
    const range = document.createRange();
    range.setStart(node, i);
    range.setEnd(node, i + 1);
    const box = range.getBoundingClientRect();
    xs.push(box.x + box.width / 2);
  }
  return xs;
}"""


def test_1000_four_byte_characters_are_accepted_and_1001_refused_inline(new_page: NewPage) -> None:
    watcher, page = new_page(), new_page()
    join(watcher, "Watcher")
    join(page, "Emoji")
    counter = page.locator(".chat-counter")

    message_input(page).fill("😀" * 1001)  # 2002 UTF-16 units: the field keeps them all
    expect(counter).to_have_text("1001 / 1000")
    message_input(page).press("Enter")
    expect(page.get_by_text(MESSAGE_TOO_LONG)).to_be_visible()
    expect(message_input(page)).to_have_value("😀" * 1001)

    message_input(page).fill("😀" * 1000)
    expect(counter).to_have_text("1000 / 1000")
    expect(page.get_by_text(MESSAGE_TOO_LONG)).to_have_count(0)
    send(page, "😀" * 1000)
    expect_message(watcher, "😀" * 1000)
    assert texts(watcher)[-1] == "😀" * 1000
    assert "😀" * 1001 not in texts(watcher)


def test_nfc_is_applied_the_same_in_the_browser_and_on_the_server(new_page: NewPage) -> None:
    watcher, page = new_page(), new_page()
    join(watcher, "Watcher")
    name_input(page).fill("Zoe\u0308")  # e + combining diaeresis: "Zoë" once composed
    name_input(page).press("Enter")
    expect(online(page).locator(".chat-online-label", has_text="Zoë")).to_have_count(1)
    decomposed = "e\u0301" * 1000  # 2000 code points as typed, 1000 after NFC: accepted by both
    message_input(page).fill(decomposed)
    expect(page.locator(".chat-counter")).to_have_text("1000 / 1000")
    send(page, decomposed)
    expect_message(watcher, "é" * 1000)
    assert texts(watcher)[-1] == clean_message(decomposed) == "\u00e9" * 1000
    expect(messages(watcher).locator(".chat-author").last).to_have_text(clean_name("Zoe\u0308"))
    expect(online(watcher).locator(".chat-online-label", has_text="Zoë")).to_have_count(1)


def test_a_name_with_a_zero_width_space_is_refused_inline(new_page: NewPage) -> None:
    watcher, page = new_page(), new_page()
    join(watcher, "Ann")
    name_input(page).fill("Ann\u200b")
    name_input(page).press("Enter")
    expect(page.get_by_text(NAME_BAD_CHARACTER)).to_be_visible()
    message_input(page).fill("hello as Ann")
    message_input(page).press("Enter")  # the send is refused too: nothing leaves the browser
    expect(page.get_by_text(NAME_BAD_CHARACTER)).to_be_visible()
    expect(message_input(page)).to_have_value("hello as Ann")
    name_input(page).fill("\u202eecila")
    expect(page.get_by_text(NAME_BAD_CHARACTER)).to_be_visible()  # still wrong: the error stays
    name_input(page).fill("Alice")
    expect(page.get_by_text(NAME_BAD_CHARACTER)).to_have_count(0)
    send(page, "now as Alice")
    expect_message(watcher, "now as Alice")
    assert "hello as Ann" not in texts(watcher)
    expect(online(watcher).locator(".chat-online-label")).to_have_text(["Alice", "Ann"])


def test_right_to_left_text_is_isolated_and_does_not_reorder_its_neighbours(new_page: NewPage) -> None:
    page, reader = new_page(), new_page()
    join(page, "سارة")
    rtl, ltr, override = "שלום עולם", "hello world", "\u202eabc def"
    for text in (rtl, ltr, override):
        send(page, text)
    expect_message(reader, override)
    shown = messages(reader).locator(".chat-text")
    items = {text: shown.filter(has_text=text.replace("\u202e", "")).last for text in (rtl, ltr)}
    items[override] = shown.last

    for item in items.values():
        expect(item).to_have_attribute("dir", "auto")
    author = messages(reader).locator(".chat-author").last
    expect(author).to_have_attribute("dir", "auto")
    assert author.evaluate("e => e.tagName") == "BDI"
    label = online(reader).locator(".chat-online-label", has_text="سارة")
    expect(label).to_have_attribute("dir", "auto")
    assert label.evaluate("e => e.tagName") == "BDI"
    assert label.evaluate("e => getComputedStyle(e).direction") == "rtl"

    assert items[rtl].evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert items[ltr].evaluate("e => getComputedStyle(e).direction") == "ltr"
    assert all(item.evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate" for item in items.values())
    rtl_x = items[rtl].evaluate(CHARACTER_X)
    assert rtl_x == sorted(rtl_x, reverse=True), rtl_x  # read right to left
    ltr_x = items[ltr].evaluate(CHARACTER_X)
    assert ltr_x == sorted(ltr_x), ltr_x  # its neighbour still reads left to right
    # the override reverses its own text only; the time after it stays at the end of the bubble
    override_box = items[override].bounding_box()
    time_box = items[override].locator("xpath=following-sibling::time").bounding_box()
    assert override_box and time_box and time_box["x"] >= override_box["x"] + override_box["width"] - 1
    next_page_ltr = send_and_measure(page, reader, "after the override")
    assert next_page_ltr == sorted(next_page_ltr), next_page_ltr


def send_and_measure(page: Page, reader: Page, text: str) -> list[float]:
    send(page, text)
    expect_message(reader, text)
    item = messages(reader).locator(".chat-text").filter(has_text=text).last
    result: list[float] = item.evaluate(CHARACTER_X)
    return result

""" "is typing" in Chromium: shown to the others, never to the typist's own tabs, gone at once with the
send and by itself when the typing stops; the wording for two and for more; the layout does not move."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.e2e.conftest import NewPage
from tests.support.page import expect_message, join, message_input, typing_line

ATTEMPTS = 10


def keep_typing_until(typists: list[Page], watcher: Page, line: str) -> None:
    """Each typist types a few more characters until `watcher` shows `line` (bounded: ATTEMPTS rounds).
    The typing goes on meanwhile, as it would, so nobody's line expires on a slow machine."""
    for attempt in range(ATTEMPTS):
        for page in typists:
            message_input(page).press_sequentially("ab", delay=30)
        try:
            expect(typing_line(watcher)).to_have_text(line, timeout=1500)
            return
        except AssertionError:
            if attempt == ATTEMPTS - 1:
                raise


def record_line_when_message_shows(page: Page, text: str) -> None:
    """From now on, `window.lineAtMessage` is the typing line's text at the moment `text` shows."""
    page.evaluate(
        """(text) => {
            const list = document.querySelector('[aria-label="Messages"]');
            const observer = new MutationObserver(() => {
                if (list.textContent.includes(text)) {
                    window.lineAtMessage = document.querySelector('.chat-typing').textContent.trim();
                    observer.disconnect();
                }
            });
            observer.observe(list, { childList: true, subtree: true, characterData: true });
        }""",
        text,
    )


def ann_and_bob(new_page: NewPage) -> tuple[Page, Page]:
    ann, bob = new_page(), new_page()
    join(ann, "Ann")
    join(bob, "Bob")
    return ann, bob


def bob_types(bob: Page, text: str, ann: Page) -> None:
    """Bob types `text` (without sending): Ann's page says so."""
    message_input(bob).press_sequentially(text, delay=30)
    expect(typing_line(ann)).to_have_text("Bob is typing…")


def test_the_others_see_who_types_and_the_line_goes_with_the_send(new_page: NewPage) -> None:
    ann, bob = ann_and_bob(new_page)
    composer_before = ann.get_by_label("Message", exact=True).bounding_box()
    list_before = ann.get_by_label("Messages", exact=True).bounding_box()

    bob_types(bob, "hel", ann)
    assert ann.get_by_label("Message", exact=True).bounding_box() == composer_before  # nothing moved
    assert ann.get_by_label("Messages", exact=True).bounding_box() == list_before
    expect(typing_line(ann)).to_have_attribute("aria-live", "polite")

    message_input(ann).press_sequentially("hi", delay=30)  # both type: each sees only the other
    keep_typing_until([ann, bob], bob, "Ann is typing…")
    expect(typing_line(ann)).to_have_text("Bob is typing…")

    record_line_when_message_shows(ann, "hello there")
    message_input(bob).fill("hello there")
    message_input(bob).press("Enter")
    expect_message(ann, "hello there")
    assert ann.evaluate("window.lineAtMessage") == ""  # gone before (or as) the message showed
    expect(typing_line(ann)).to_have_text("")


def test_the_line_goes_by_itself_when_the_typing_stops(new_page: NewPage) -> None:
    ann, bob = ann_and_bob(new_page)
    bob_types(bob, "unsent", ann)
    expect(typing_line(ann)).to_have_text("", timeout=10_000)  # 3 s after the last keystroke
    expect(message_input(bob)).to_have_value("unsent")  # nothing was sent


def test_clearing_the_field_stops_it_at_once(new_page: NewPage) -> None:
    ann, bob = ann_and_bob(new_page)
    bob_types(bob, "oops", ann)
    message_input(bob).fill("")
    expect(typing_line(ann)).to_have_text("")


def test_two_and_more_typists(new_page: NewPage) -> None:
    ann, bob, cid, dee = new_page(), new_page(), new_page(), new_page()
    for page, name in ((ann, "Ann"), (bob, "Bob"), (cid, "Cid"), (dee, "Dee")):
        join(page, name)
    keep_typing_until([bob, cid], ann, "Bob and Cid are typing…")
    keep_typing_until([bob, cid], bob, "Cid is typing…")  # Bob's own tab leaves Bob out
    keep_typing_until([bob, cid, dee], ann, "Several people are typing…")
    keep_typing_until([bob, cid, dee], dee, "Bob and Cid are typing…")

"""A tab in the background: unread count in the title, a dot on the favicon, the "New messages" divider, and
opt-in desktop notifications (asked for only after a click on "Notify me")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.browser.e2e import test_content_security_policy as csp
from tests.browser.e2e.conftest import DESKTOP, PHONE, NewPage
from tests.browser.e2e.test_accessibility import axe_script, violations  # noqa: F401 (a fixture)
from tests.support.page import expect_message, join, messages, send

# The page's visibility, kept in sessionStorage so it survives a reload: headless Chromium's own
# `document.visibilityState` is always "visible", so the tests decide it (and tell the page as a browser
# would, with a `visibilitychange` event).
VISIBILITY = """
try {
  Object.defineProperty(document, 'visibilityState', {
    configurable: true, get: () => sessionStorage.getItem('test:visibility') || 'visible'});
  Object.defineProperty(document, 'hidden', {
    configurable: true, get: () => document.visibilityState === 'hidden'});
} catch (error) {}  // about:blank
"""
SET_VISIBILITY = """(state) => {
  sessionStorage.setItem('test:visibility', state);
  document.dispatchEvent(new Event('visibilitychange'));
}"""
# Records what the page does with the Notification API and window.focus, passing calls on to the browser.
NOTIFICATIONS = """
window.__asked = 0; window.__notes = []; window.__focused = 0;
if ('Notification' in window) {
  const Real = window.Notification;
  window.Notification = class {
    constructor(title, options) {
      this.title = title; this.options = options || {}; this.closed = false; this.onclick = null;
      window.__notes.push(this);
    }
    close() { this.closed = true; }
    static get permission() { return Real.permission; }
    static requestPermission() { window.__asked += 1; return Real.requestPermission(); }
  };
}
const focus = window.focus.bind(window);
window.focus = () => { window.__focused += 1; focus(); };
"""
STATES = {"blocked": "blocked by the browser", "unsupported": "not supported by this browser"}
NOTES = """() => window.__notes.map(
  (n) => ({title: n.title, body: n.options.body, tag: n.options.tag, closed: n.closed}))"""
# the colour of the favicon's top right corner, where the dot goes (as drawn from the link's href)
CORNER = """async () => {
  const image = new Image();
  image.src = document.querySelector('link[rel~="icon"]').href;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 64;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0, 64, 64);
  return Array.from(ctx.getImageData(48, 16, 1, 1).data);
}"""


def hide(page: Page) -> None:
    page.evaluate(SET_VISIBILITY, "hidden")


def show(page: Page) -> None:
    page.evaluate(SET_VISIBILITY, "visible")


def favicon(page: Page) -> str:
    return str(page.evaluate("document.querySelector('link[rel~=\"icon\"]').href"))


def divider(page: Page) -> Locator:
    return messages(page).get_by_role("separator", name="New messages")


def notify_button(page: Page) -> Locator:
    return page.get_by_role("button", name="Notify me")


def notify_state(page: Page) -> Locator:
    return page.locator(".chat-notify-state")


def watched_context(new_context: Any, *, notifications: bool | None = None) -> BrowserContext:
    """A browser whose tabs the test can hide; `notifications`: granted (True), or none granted."""
    context: BrowserContext = new_context()
    context.add_init_script(VISIBILITY)
    context.add_init_script(NOTIFICATIONS)
    if notifications:
        context.grant_permissions(["notifications"])
    return context


def ann_watched_and_bob(new_page: NewPage, context: BrowserContext) -> tuple[Page, Page]:
    """Ann in `context` (a browser whose tab the test can hide) and Bob in his own, both joined."""
    ann, bob = new_page(context), new_page()
    join(ann, "Ann")
    join(bob, "Bob")
    return ann, bob


def test_hidden_tab_counts_others_messages_in_title_favicon_and_divider(
    new_page: NewPage, new_context: Any
) -> None:
    context = watched_context(new_context)
    console: list[str] = []
    csp.watched(context, console)  # the favicon drawn and set under the page's CSP
    ann, bob = ann_watched_and_bob(new_page, context)
    send(bob, "read while looking")
    expect_message(ann, "read while looking")
    expect(ann).to_have_title("Chat")
    icon = favicon(ann)
    expect(divider(ann)).to_have_count(0)

    hide(ann)
    send(bob, "first unread")
    expect(ann).to_have_title("(1) Chat")
    send(bob, "second unread")
    expect(ann).to_have_title("(2) Chat")
    ann.wait_for_function("(icon) => document.querySelector('link[rel~=\"icon\"]').href !== icon", arg=icon)
    assert favicon(ann).startswith("data:image/png")
    red, green, blue, alpha = ann.evaluate(CORNER)
    assert (red, alpha) == (0xE5, 255) and green < 0x60 and blue < 0x60, (red, green, blue, alpha)
    # the divider is the row right before the first unread message
    expect(divider(ann)).to_have_count(1)
    after = divider(ann).evaluate("(el) => el.nextElementSibling.querySelector('.chat-text').textContent")
    assert after == "first unread"

    # Ann's own message, from her other tab, does not count
    ann_elsewhere = new_page(ann.context)
    show(ann_elsewhere)
    send(ann_elsewhere, "mine, from another tab")
    expect_message(ann, "mine, from another tab")
    send(bob, "third unread")
    expect(ann).to_have_title("(3) Chat")

    show(ann)
    expect(ann).to_have_title("Chat")
    assert favicon(ann) == icon
    expect(divider(ann)).to_have_count(1)  # still marks where the unread ones began
    send(bob, "read at once")
    expect_message(ann, "read at once")
    expect(ann).to_have_title("Chat")

    send(ann, "my answer")  # answering while looking: all read, the divider goes
    expect(divider(ann)).to_have_count(0)
    assert csp.violations(ann) == [] and console == [], (csp.violations(ann), console)


def test_divider_moves_to_the_next_unread_after_hiding_again(new_page: NewPage, new_context: Any) -> None:
    ann, bob = ann_watched_and_bob(new_page, watched_context(new_context))
    hide(ann)
    send(bob, "old unread")
    expect(ann).to_have_title("(1) Chat")
    show(ann)
    hide(ann)
    expect_message(ann, "old unread")
    send(bob, "new unread")
    expect(ann).to_have_title("(1) Chat")
    expect(divider(ann)).to_have_count(1)
    after = divider(ann).evaluate("(el) => el.nextElementSibling.querySelector('.chat-text').textContent")
    assert after == "new unread"


def test_messages_caught_up_after_a_reconnect_count_while_hidden(new_page: NewPage, new_context: Any) -> None:
    ann, bob = ann_watched_and_bob(new_page, watched_context(new_context))
    hide(ann)
    ann.evaluate("window.socket.disconnect()")  # away: what Bob says now comes by catch-up
    send(bob, "said while away 1")
    send(bob, "said while away 2")
    # A dropped connection reconnects by itself, and NiceGUI then sends the id of the next message it expects
    # (its reconnect_attempt handler). A disconnect() by hand skips that handler, so do what it does: without
    # it the handshake carries the id of the page load, which NiceGUI's 3-s acks may have pruned from its
    # history by now, and it reloads the page ("outbox rewind failed") instead of catching up.
    ann.evaluate(
        "window.socket.io.opts.query.next_message_id = window.nextMessageId; window.socket.connect()"
    )
    expect_message(ann, "said while away 2")
    expect(ann).to_have_title("(2) Chat")
    show(ann)
    expect(ann).to_have_title("Chat")


def test_notifications_only_after_notify_me_then_for_others_while_hidden(
    new_page: NewPage, new_context: Any
) -> None:
    ann, bob = ann_watched_and_bob(new_page, watched_context(new_context, notifications=True))
    expect(notify_button(ann)).to_have_attribute("aria-pressed", "false")
    expect(notify_state(ann)).to_have_text("off")

    hide(ann)
    send(bob, "not notified: not asked for")
    expect(ann).to_have_title("(1) Chat")
    assert ann.evaluate("window.__asked") == 0
    assert ann.evaluate(NOTES) == []
    show(ann)

    notify_button(ann).click()
    expect(notify_state(ann)).to_have_text("on")
    expect(notify_button(ann)).to_have_attribute("aria-pressed", "true")
    send(bob, "not notified: Ann is looking")
    expect_message(ann, "not notified: Ann is looking")

    hide(ann)
    long_text = "<b>plain</b> " + "é" * 200
    send(bob, long_text)
    ann.wait_for_function("() => window.__notes.length === 1")
    ann_elsewhere = new_page(ann.context)
    send(ann_elsewhere, "mine: no notification")
    expect_message(ann, "mine: no notification")
    send(bob, "second")
    ann.wait_for_function("() => window.__notes.length === 2")
    notes = ann.evaluate(NOTES)
    assert notes[0] == {
        "title": "Bob",
        "body": long_text[:100] + "…",
        "tag": "chat-message",
        "closed": False,
    }
    assert notes[1]["title"] == "Bob" and notes[1]["body"] == "second" and notes[1]["tag"] == "chat-message"

    ann.evaluate("() => window.__notes[1].onclick()")  # a click on the notification
    assert ann.evaluate("window.__focused") == 1
    assert ann.evaluate(NOTES)[1]["closed"] is True

    ann.reload()  # the choice is remembered
    expect(notify_state(ann)).to_have_text("on")
    notify_button(ann).click()
    expect(notify_state(ann)).to_have_text("off")
    ann.reload()
    expect(notify_state(ann)).to_have_text("off")
    hide(ann)
    send(bob, "off again")
    expect(ann).to_have_title("(1) Chat")
    assert ann.evaluate(NOTES) == []


def test_notify_me_says_when_the_browser_blocks_or_lacks_notifications(
    new_page: NewPage, new_context: Any
) -> None:
    ann = new_page(watched_context(new_context, notifications=False))
    expect(notify_state(ann)).not_to_have_text("on")
    notify_button(ann).click()
    expect(notify_state(ann)).to_have_text("blocked by the browser")
    expect(notify_button(ann)).to_have_attribute("aria-pressed", "false")

    context = watched_context(new_context)
    context.add_init_script("delete window.Notification")
    bob = new_page(context)
    expect(notify_state(bob)).to_have_text("not supported by this browser")
    notify_button(bob).click()
    expect(notify_state(bob)).to_have_text("not supported by this browser")
    join(bob, "Bob")
    hide(bob)
    carol = new_page()
    join(carol, "Carol")
    send(carol, "still counted")
    expect(bob).to_have_title("(1) Chat")


@pytest.mark.parametrize(
    ("viewport", "color_scheme", "support"),
    [
        (PHONE, "light", "blocked"),
        (PHONE, "dark", "unsupported"),
        (DESKTOP, "light", "unsupported"),
        (DESKTOP, "dark", "blocked"),
    ],
    ids=[
        "phone-light-blocked",
        "phone-dark-unsupported",
        "desktop-light-unsupported",
        "desktop-dark-blocked",
    ],
)
def test_divider_and_notify_me_fit_and_pass_axe(
    new_page: NewPage,
    new_context: Any,
    axe_script: Path,  # noqa: F811 (the fixture imported above)
    viewport: dict[str, int],
    color_scheme: str,
    support: str,
) -> None:
    context = new_context(viewport=viewport, color_scheme=color_scheme)
    context.add_init_script(VISIBILITY)
    if support == "unsupported":
        context.add_init_script("delete window.Notification")
    ann, bob = ann_watched_and_bob(new_page, context)
    hide(ann)
    send(bob, "unread")
    expect(ann).to_have_title("(1) Chat")
    show(ann)
    notify_button(ann).click()
    expect(notify_state(ann)).to_have_text(STATES[support])
    expect(divider(ann)).to_be_visible()

    attention = ann.locator(".chat-attention").bounding_box()
    toggle = ann.locator(".chat-online-toggle").bounding_box()
    title = ann.locator(".chat-title").bounding_box()
    assert attention and toggle and title
    assert attention["x"] >= title["x"] + title["width"], "after the title"
    if viewport is PHONE:
        assert attention["x"] + attention["width"] <= toggle["x"], "left of the online button"
    assert attention["y"] >= 0 and attention["y"] + attention["height"] <= 48, "within the header"
    found = violations(ann, axe_script)
    assert found == [], json.dumps(found, indent=1)

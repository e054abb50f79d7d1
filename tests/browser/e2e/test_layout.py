"""Phone and desktop sizes: nothing overflows sideways, long words wrap, the parts sit where they should."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.e2e.conftest import DESKTOP, PHONE, NewPage
from tests.support.page import expect_message, join, message_input, messages, online, send

LONG_WORD = "W" * 1000

NO_SIDEWAYS_OVERFLOW = """() => [
    document.documentElement, document.body, document.querySelector('[aria-label=Messages]'),
].every(el => el.scrollWidth <= el.clientWidth)"""


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, selector
    return found


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_phone(new_page: NewPage, color_scheme: str) -> None:
    page = new_page(viewport=PHONE, color_scheme=color_scheme)
    join(page, "Pia")
    send(page, LONG_WORD)
    expect_message(page, LONG_WORD[:20])
    assert page.evaluate(NO_SIDEWAYS_OVERFLOW)
    bubble = box(page, ".chat-own .chat-bubble")
    assert bubble["x"] >= 0 and bubble["x"] + bubble["width"] <= PHONE["width"]

    composer = box(page, ".chat-composer")
    assert composer["y"] + composer["height"] == pytest.approx(PHONE["height"], abs=1), "pinned at the bottom"
    log = box(page, "[aria-label=Messages]")
    assert log["height"] > PHONE["height"] / 2, "the messages fill the screen"

    toggle = online(page).get_by_role("button", name="1 online")
    expect(toggle).to_be_visible()
    expect(online(page).get_by_text("Pia")).to_be_hidden()
    toggle.click()
    expect(online(page).get_by_text("Pia")).to_be_visible()
    page.keyboard.press("Escape")
    expect(online(page).get_by_text("Pia")).to_be_hidden()
    assert page.evaluate(NO_SIDEWAYS_OVERFLOW)


def test_desktop(new_page: NewPage) -> None:
    page = new_page(viewport=DESKTOP)
    join(page, "Dan")
    send(page, LONG_WORD)
    expect_message(page, LONG_WORD[:20])
    assert page.evaluate(NO_SIDEWAYS_OVERFLOW)
    expect(online(page).get_by_text("Dan")).to_be_visible()
    aside, log = box(page, "[aria-label='Online users']"), box(page, "[aria-label=Messages]")
    assert aside["x"] >= log["x"] + log["width"], "the online list is a side column"
    expect(messages(page)).to_be_visible()
    expect(message_input(page)).to_be_focused()


def test_dark_mode_follows_the_system(new_page: NewPage) -> None:
    page = new_page(viewport=DESKTOP, color_scheme="dark")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    channels = [int(part) for part in background.removeprefix("rgb(").rstrip(")").split(",")[:3]]
    assert sum(channels) / 3 < 60, background

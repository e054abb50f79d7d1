"""What a person does in the chat page, in Playwright terms."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Locator, Page, expect


def open_chat(context: BrowserContext, url: str) -> Page:
    """A new tab of the browser `context` on the chat at `url`, once its socket has connected."""
    page = context.new_page()
    page.goto(url)
    expect(messages(page)).to_be_visible()
    page.wait_for_function("() => window.did_handshake === true")
    return page


def name_input(page: Page) -> Locator:
    return page.get_by_label("Name", exact=True)


def message_input(page: Page) -> Locator:
    return page.get_by_label("Message", exact=True)


def send_button(page: Page) -> Locator:
    return page.get_by_role("button", name="Send")


def messages(page: Page) -> Locator:
    return page.get_by_label("Messages", exact=True)


def online(page: Page) -> Locator:
    return page.get_by_label("Online users", exact=True)


def texts(page: Page) -> list[str]:
    return messages(page).locator(".chat-text").all_inner_texts()


def join(page: Page, name: str) -> None:
    name_input(page).fill(name)
    name_input(page).press("Enter")
    expect(online(page).locator(".chat-online-label", has_text=name).first).to_be_attached()


def send(page: Page, text: str) -> None:
    """Type and press Enter; done when the composer has taken it (the field is cleared at once)."""
    message_input(page).fill(text)
    message_input(page).press("Enter")
    expect(message_input(page)).to_have_value("")


def expect_message(page: Page, text: str) -> None:
    expect(messages(page).locator(".chat-text").filter(has_text=text).first).to_be_visible()


def typing_line(page: Page) -> Locator:
    """The "is typing" line under the messages (a polite live region, empty when nobody types)."""
    return page.locator(".chat-typing")

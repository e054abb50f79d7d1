"""Real browsers against a real server: Debian's Chromium driven by Playwright.

One browser for the e2e package, one server process per test module (a module may ask for settings with
`SERVER_ENV = {...}`), a fresh browser context (own cookies, own sessionStorage) per simulated person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.support.page import open_chat
from tests.support.server import ChatServer

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
WAIT_MS = 10_000

NewPage = Callable[..., Page]


@pytest.fixture(
    scope="package"
)  # closed before other packages' async tests: Playwright's sync loop must not linger
def browser() -> Iterator[Browser]:
    require_chromium()
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    chat = ChatServer(tmp_path_factory.mktemp("server"), getattr(request.module, "SERVER_ENV", {}))
    seed: Callable[[ChatServer], None] | None = getattr(request.module, "seed", None)
    if seed is not None:
        seed(chat)
    chat.start()
    yield chat
    chat.stop()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Makes browser contexts: each is one person's browser (cookies, storage)."""
    contexts: list[BrowserContext] = []

    def make(viewport: dict[str, int] = DESKTOP, color_scheme: str = "light") -> BrowserContext:
        context = browser.new_context(
            viewport=viewport,  # type: ignore[arg-type]
            color_scheme=color_scheme,  # type: ignore[arg-type]
            timezone_id="Europe/Berlin",
            locale="en-GB",
        )
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def new_page(new_context: Callable[..., BrowserContext], server: ChatServer) -> NewPage:
    """Opens the chat in a new browser context (or in `context`, as another tab of that browser)."""

    def open_page(context: BrowserContext | None = None, **options: object) -> Page:
        return open_chat(context or new_context(**options), server.url)

    return open_page

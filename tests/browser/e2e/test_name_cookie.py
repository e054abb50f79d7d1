"""The name cookie in a real browser, in prod: the session cookie's flags (SameSite=Lax, Secure).

Chromium keeps Secure cookies of http://127.0.0.1 (a loopback address is a secure context), so the test
can talk plain HTTP and still see the flags the browser stored.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.e2e.conftest import NewPage
from tests.support.page import join, name_input
from tests.support.server import ChatServer

SERVER_ENV = {
    "CHAT_ENV": "prod",  # CHAT_COOKIE_SECURE unset: on in prod
    "CHAT_STORAGE_SECRET": "a-production-secret-of-more-than-32-characters",
}
NAME_COOKIE = "chat_name"


def test_the_name_cookie_is_lax_and_secure_like_the_session_cookie(
    new_page: NewPage, server: ChatServer
) -> None:
    ann = new_page()
    join(ann, "Ann")
    ann.wait_for_function(f"() => document.cookie.includes('{NAME_COOKIE}=')")
    cookies = {cookie["name"]: cookie for cookie in ann.context.cookies()}
    name, session = cookies[NAME_COOKIE], cookies["session"]
    assert (name["value"], name["sameSite"], name["secure"]) == ("Ann", "Lax", True), name
    assert (session["sameSite"], session["secure"]) == ("Lax", True), session

    again = new_page(ann.context)  # the next visit reads the name from the cookie
    expect(name_input(again)).to_have_value("Ann")

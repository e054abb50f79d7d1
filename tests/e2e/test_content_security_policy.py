"""The page works in Chromium under the chat's Content-Security-Policy; the browser reports no violation."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, ConsoleMessage, Page

from app.web.headers import CONTENT_SECURITY_POLICY
from tests.e2e.chat import expect_message, join, online, send
from tests.e2e.conftest import NewPage

LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(
    `${e.violatedDirective} ${e.blockedURI}`));
"""


def watched(context: BrowserContext, console: list[str]) -> None:
    context.add_init_script(LISTEN)
    context.on("console", lambda message: console.append(message.text) if _csp(message) else None)


def _csp(message: ConsoleMessage) -> bool:
    return "Content Security Policy" in message.text or "Content-Security-Policy" in message.text


def violations(page: Page) -> list[str]:
    return list(page.evaluate("window.__cspViolations"))


def test_the_page_works_under_the_policy_with_no_violation(new_page: NewPage, new_context: object) -> None:
    console: list[str] = []
    contexts = [new_context(), new_context()]  # type: ignore[operator]
    for context in contexts:
        watched(context, console)
    ann, bob = new_page(contexts[0]), new_page(contexts[1])
    response = ann.request.get(ann.url)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    join(ann, "Ann")
    join(bob, "Bob")
    send(ann, "under a strict policy")
    expect_message(bob, "under a strict policy")
    assert "Ann" in online(bob).inner_text()
    ann.reload()  # the reconnect path (sessionStorage, resume) under the policy too
    expect_message(ann, "under a strict policy")
    assert violations(ann) == [] and violations(bob) == [], (violations(ann), violations(bob))
    assert console == []

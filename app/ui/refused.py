"""The page a browser gets when one more tab would be too many: short, friendly, retrying by itself."""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from app.chat.tab_count import Refusal
from app.ui.unavailable import status_page

RETRY_SECONDS = 30

TEXTS: dict[Refusal, tuple[int, str, str]] = {
    "address": (
        429,
        "Too many chat tabs are open from your address",
        "Close a few chat tabs. This page tries again by itself every 30 seconds.",
    ),
    "total": (
        503,
        "The chat is full right now",
        "Too many people are here at once. This page tries again by itself every 30 seconds.",
    ),
}


def too_many_tabs_page(refusal: Refusal) -> HTMLResponse:
    """HTTP 429 when the address has too many tabs open, 503 when the chat as a whole is full."""
    status, heading, text = TEXTS[refusal]
    return status_page(status, heading, text, RETRY_SECONDS)

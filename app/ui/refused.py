"""The page a browser gets when one more tab would be too many: short, friendly, retrying by itself."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

from app.chat.tab_count import Refusal

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
    page = f"""<!doctype html>
<html lang="en-US">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{RETRY_SECONDS}">
<title>{escape(heading)}</title>
<style>
  :root {{ color-scheme: light dark; font-family: system-ui, sans-serif; }}
  body {{ display: grid; place-items: center; min-height: 100vh; margin: 0; }}
  main {{ max-width: 28rem; padding: 1.5rem; text-align: center; }}
</style>
</head>
<body>
<main>
<h1>{escape(heading)}</h1>
<p role="status">{escape(text)}</p>
</main>
</body>
</html>
"""
    return HTMLResponse(page, status_code=status, headers={"Retry-After": str(RETRY_SECONDS)})

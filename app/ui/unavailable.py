"""Short pages a browser gets instead of the chat (database down, too many tabs), retrying by themselves."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

RETRY_SECONDS = 5


def status_page(
    status: int, heading: str, text: str, retry_seconds: int, title: str | None = None
) -> HTMLResponse:
    """A self-contained page with `heading` and `text` (and `title`, default the heading), reloading itself
    after `retry_seconds`, with HTTP `status` and Retry-After."""
    page = f"""<!doctype html>
<html lang="en-US">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{retry_seconds}">
<title>{escape(title or heading)}</title>
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
    return HTMLResponse(page, status_code=status, headers={"Retry-After": str(retry_seconds)})


def unavailable_page() -> HTMLResponse:
    """HTTP 503 with Retry-After; the cause goes to the log and the span, never to the browser."""
    return status_page(
        503,
        "The chat is unavailable right now",
        f"It will be back shortly. This page tries again by itself every {RETRY_SECONDS} seconds.",
        RETRY_SECONDS,
        title="Chat unavailable",
    )

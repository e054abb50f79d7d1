"""The page a browser gets when the chat cannot be built (database down): friendly, retrying by itself."""

from __future__ import annotations

from fastapi.responses import HTMLResponse

RETRY_SECONDS = 5

PAGE = f"""<!doctype html>
<html lang="en-US">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{RETRY_SECONDS}">
<title>Chat unavailable</title>
<style>
  :root {{ color-scheme: light dark; font-family: system-ui, sans-serif; }}
  body {{ display: grid; place-items: center; min-height: 100vh; margin: 0; }}
  main {{ max-width: 28rem; padding: 1.5rem; text-align: center; }}
</style>
</head>
<body>
<main>
<h1>The chat is unavailable right now</h1>
<p role="status">It will be back shortly. This page tries again by itself every {RETRY_SECONDS} seconds.</p>
</main>
</body>
</html>
"""


def unavailable_page() -> HTMLResponse:
    """HTTP 503 with Retry-After; the cause goes to the log and the span, never to the browser."""
    return HTMLResponse(PAGE, status_code=503, headers={"Retry-After": str(RETRY_SECONDS)})

"""`python -m app.healthcheck`: exit 0 when the chat on this machine answers `/healthz` with 200.

The container's HEALTHCHECK (the slim image has no curl). Standard library only, so the probe starts
quickly; it asks http://127.0.0.1:$PORT$CHAT_ROOT_PATH/healthz, bypassing any HTTP proxy.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

TIMEOUT = 4.0


def healthz_url(environ: Mapping[str, str]) -> str:
    port = environ.get("PORT") or "8080"
    root = (environ.get("CHAT_ROOT_PATH") or "").strip().rstrip("/")
    if root and not root.startswith("/"):
        root = "/" + root
    return f"http://127.0.0.1:{port}{root}/healthz"


def probe(url: str, timeout: float = TIMEOUT) -> tuple[bool, str]:
    """(healthy, what happened)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            body = response.read(200).decode(errors="replace")
            return response.status == 200, f"{response.status} {body}"
    except urllib.error.HTTPError as error:
        return False, f"{error.code} {error.read(200).decode(errors='replace')}"
    except (OSError, ValueError) as error:
        return False, f"no answer ({error})"


def main() -> int:
    url = healthz_url(os.environ)
    healthy, detail = probe(url)
    print(f"{url}: {detail}", file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())

"""Plain HTTP requests to a server under test, answering with the status instead of raising on 4xx/5xx."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request

import httpx


def get(url: str) -> tuple[int, str]:
    """The status and the text of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def health(url: str) -> tuple[int, dict[str, str]]:
    """The status and the report of the server's /healthz (`url` is the server's base URL)."""
    status, body = get(f"{url}/healthz")
    return status, json.loads(body)


def first_answer(url: str, process: subprocess.Popen[bytes], deadline: float = 60) -> httpx.Response:
    """The first answer of a server starting in `process` (whatever its status); fails if it exits first."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        assert process.poll() is None, "server exited early"
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)  # polling a condition with a deadline, not a fixed wait
    raise TimeoutError(url)

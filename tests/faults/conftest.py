"""Database faults against real server processes: PostgreSQL behind a TCP proxy that refuses and cuts,
backends terminated, locks held, a SQLite file on a disk that fills up or turns read-only."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.fault_proxy import FaultProxy

WAIT_SECONDS = 60.0
READY_SECONDS = 90.0  # a busy machine starts a server slowly


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.timeout(180))


def health(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


async def eventually(condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    """Poll a blocking condition (in a thread) until it holds; fail after `timeout` seconds."""

    async def poll() -> None:
        while not await asyncio.to_thread(condition):
            await asyncio.sleep(0.2)

    try:
        await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


def through_proxy(database_url: str) -> tuple[FaultProxy, str]:
    """A fault proxy in front of the PostgreSQL server of `database_url`, and the URL through it."""
    target = urlsplit(database_url)
    proxy = FaultProxy(target.port or 5432)
    return proxy, database_url.replace(f":{target.port}/", f":{proxy.port}/")

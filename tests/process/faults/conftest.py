"""Database faults against real server processes: PostgreSQL behind a TCP proxy that refuses and cuts,
backends terminated, locks held, a SQLite file on a disk that fills up or turns read-only."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.support.fault_proxy import FaultProxy


def through_proxy(database_url: str) -> tuple[FaultProxy, str]:
    """A fault proxy in front of the PostgreSQL server of `database_url`, and the URL through it."""
    target = urlsplit(database_url)
    proxy = FaultProxy(target.port or 5432)
    return proxy, database_url.replace(f":{target.port}/", f":{proxy.port}/")

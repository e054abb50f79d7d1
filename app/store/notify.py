"""PostgreSQL's LISTEN/NOTIFY as the chat's bus: the channel, the statements, the listener connection."""

from __future__ import annotations

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

CHANNEL = "chat_events"
LISTENER_APPLICATION_NAME = "chat-bus-listener"
# Stores take this transaction-level lock before the INSERT, so message ids are committed (and notified)
# in id order across every instance: a listener never sees id n+1 committed before id n.
ORDER_LOCK_KEY = 0x636861_74  # "chat"
ORDER_LOCK = text(f"SELECT pg_advisory_xact_lock({ORDER_LOCK_KEY})")
NOTIFY = text("SELECT pg_notify(:channel, :payload)")
# Well under PostgreSQL's 8000-byte limit; a bigger message travels as its id only and is read from the table.
MAX_PAYLOAD_BYTES = 4000
# TCP keepalives notice a dead peer without traffic; the listener also runs a cheap query when idle.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}


def libpq_url(async_url: str) -> str:
    """The plain libpq URL of a `postgresql+psycopg://` SQLAlchemy URL."""
    return "postgresql://" + async_url.split("://", 1)[1]


async def listener_connection(async_url: str, connect_timeout: float) -> psycopg.AsyncConnection[object]:
    """A connection of its own, outside the pool: `notifies()` holds its lock, so it is never shared."""
    connection: psycopg.AsyncConnection[object] = await psycopg.AsyncConnection.connect(
        libpq_url(async_url),
        autocommit=True,
        application_name=LISTENER_APPLICATION_NAME,
        connect_timeout=max(1, round(connect_timeout)),
        **KEEPALIVES,  # type: ignore[arg-type]
    )
    try:
        await connection.execute(f"LISTEN {CHANNEL}")
    except BaseException:
        await connection.close()
        raise
    return connection


async def notify(engine: AsyncEngine, payloads: list[str]) -> None:
    """Notifications alone, in one transaction that writes nothing (e.g. "is typing" signals)."""
    async with engine.begin() as connection:
        for payload in payloads:
            await connection.execute(NOTIFY, {"channel": CHANNEL, "payload": payload})

"""The presence table: each instance's names with a heartbeat, and the union of the live ones."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col

from app.store.models import PresenceRow
from app.store.notify import CHANNEL, NOTIFY

PRESENCE_PAYLOAD = '{"presence": true}'


class PresenceStore:
    """Times are the database's clock, so instances on hosts with skewed clocks agree on expiry.
    Every change is notified on the bus channel in its own transaction, so other instances re-read."""

    def __init__(self, engine: AsyncEngine, expiry_seconds: float) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False, class_=AsyncSession)
        self._expiry = timedelta(seconds=expiry_seconds)

    async def replace(self, instance_id: str, tabs: Mapping[str, int]) -> None:
        """This instance's names are now exactly `tabs` (name → tab count)."""
        async with self._sessions() as session:
            await session.execute(delete(PresenceRow).where(col(PresenceRow.instance_id) == instance_id))
            if tabs:
                rows = [
                    {"instance_id": instance_id, "name": name, "tabs": count, "heartbeat_at": func.now()}
                    for name, count in tabs.items()
                ]
                await session.execute(insert(PresenceRow).values(rows))
            await session.execute(NOTIFY, {"channel": CHANNEL, "payload": PRESENCE_PAYLOAD})
            await session.commit()

    async def heartbeat(self, instance_id: str) -> int:
        """Renew this instance's rows; the number of rows renewed."""
        async with self._sessions() as session:
            result = await session.execute(
                update(PresenceRow)
                .where(col(PresenceRow.instance_id) == instance_id)
                .values(heartbeat_at=func.now())
            )
            await session.commit()
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def remove(self, instance_id: str) -> None:
        """A graceful stop: this instance's names go at once."""
        await self.replace(instance_id, {})

    async def sweep(self) -> int:
        """Remove the rows of instances that stopped beating (killed, frozen, cut off); notify if any."""
        async with self._sessions() as session:
            result = await session.execute(
                delete(PresenceRow).where(col(PresenceRow.heartbeat_at) < func.now() - self._expiry)
            )
            swept = int(result.rowcount)  # type: ignore[attr-defined]
            if swept:
                await session.execute(NOTIFY, {"channel": CHANNEL, "payload": PRESENCE_PAYLOAD})
            await session.commit()
            return swept

    async def others(self, instance_id: str) -> set[str]:
        """The names live on the other instances (expired rows do not count, swept or not)."""
        query = (
            select(col(PresenceRow.name))
            .where(col(PresenceRow.instance_id) != instance_id)
            .where(col(PresenceRow.heartbeat_at) >= func.now() - self._expiry)
            .group_by(PresenceRow.name)
        )
        async with self._sessions() as session:
            return set((await session.execute(query)).scalars())

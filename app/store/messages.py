"""Queries on the message table."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import BigInteger, ColumnElement, and_, delete, func, literal, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col

from app.store.models import DELETED_REASON_LENGTH, Message, as_utc, utc_now
from app.store.notify import CHANNEL, NOTIFY, ORDER_LOCK

Announce = Callable[[Message], str]
DeleteOutcome = Literal["deleted", "already deleted", "unknown"]


def visible() -> ColumnElement[bool]:
    """Messages not deleted: every read that shows messages filters with this."""
    return col(Message.deleted_at).is_(None)


def deletion_payload(ids: Sequence[int], through: int = 0) -> str:
    """The bus notification of a deletion: the ids, and for retention every id up to `through`."""
    return json.dumps({"deleted": list(ids), "through": through}, separators=(",", ":"))


@dataclass(frozen=True)
class Deletion:
    """One tombstone, as the deletion watch reads it."""

    id: int
    deleted_at: datetime


def _id(value: int) -> ColumnElement[int]:
    """A message id as a query parameter of 64 bits: on PostgreSQL the column is a 32-bit INTEGER and a
    larger id a browser may send (up to 2^53-1) would not fit its type ("integer out of range")."""
    return literal(value, BigInteger())


class MessageStore:
    """Stores messages and reads them back; every call runs on the async engine, off the event loop."""

    def __init__(self, engine: AsyncEngine, announce: Announce | None = None) -> None:
        """With `announce` (PostgreSQL only), every INSERT is notified on the bus channel in its own
        transaction, with the payload `announce` makes of the row: delivered at commit, never before."""
        self.engine = engine
        self.announce = announce
        # PostgreSQL with the bus: deletions are notified in their transaction too (also from the CLI)
        self.notify_deletions = announce is not None
        self._sessions = async_sessionmaker(engine, expire_on_commit=False, class_=AsyncSession)

    async def add(self, author: str, text: str) -> Message:
        message = Message(author=author, text=text)
        async with self._sessions() as session:
            await self._insert(session, message)
        return message

    async def _insert(self, session: AsyncSession, message: Message) -> None:
        if self.announce is not None:
            await session.execute(ORDER_LOCK)
            session.add(message)
            await session.flush()  # the id, for the payload
            await session.execute(NOTIFY, {"channel": CHANNEL, "payload": self.announce(message)})
        else:
            session.add(message)
        await session.commit()

    async def add_once(self, author: str, text: str, client_msg_id: str) -> tuple[Message, bool]:
        """Store a message under the browser's id of the send, once: `(message, True)` when stored now,
        `(the message stored earlier, False)` when that id is already taken.

        The unique constraint decides, not a look-up first: two sends racing with one id store one row."""
        message = Message(author=author, text=text, client_msg_id=client_msg_id)
        async with self._sessions() as session:
            try:
                await self._insert(session, message)
                return message, True
            except IntegrityError:
                await session.rollback()
                existing = (
                    await session.execute(select(Message).where(col(Message.client_msg_id) == client_msg_id))
                ).scalar_one_or_none()
                if existing is None:  # another constraint failed
                    raise
                return existing, False

    async def by_client_ids(self, client_msg_ids: Collection[str]) -> list[Message]:
        """The stored messages among these send ids (for a tab reconciling its unanswered sends)."""
        if not client_msg_ids:
            return []
        # deleted ones too: a retried send of a deleted message is answered "stored" (by id, never its
        # text) and the unique send id keeps it from being stored again
        query = select(Message).where(col(Message.client_msg_id).in_(list(client_msg_ids)))
        async with self._sessions() as session:
            return list((await session.execute(query)).scalars())

    async def recent(self, limit: int) -> list[Message]:
        """The newest `limit` messages, oldest first."""
        return await self._newest(None, limit)

    async def after(self, message_id: int, limit: int) -> list[Message]:
        """The newest `limit` messages after `message_id`, oldest first (catch-up after a reconnect)."""
        return await self._newest(Message.id > _id(message_id), limit)

    async def up_to(self, message_id: int, limit: int) -> list[Message]:
        """The newest `limit` messages with ids up to `message_id`, oldest first (context before a gap)."""
        return await self._newest(Message.id <= _id(message_id), limit)

    async def before(self, message_id: int, limit: int) -> list[Message]:
        """The newest `limit` messages older than `message_id`, oldest first (a page further back)."""
        return await self._newest(Message.id < _id(message_id), limit)

    async def following(self, message_id: int, limit: int) -> list[Message]:
        """The oldest `limit` messages after `message_id`, oldest first (the bus catching up in order)."""
        query = (
            select(Message)
            .where(Message.id > _id(message_id), visible())
            .order_by(Message.id)  # type: ignore[arg-type]
            .limit(limit)
        )
        async with self._sessions() as session:
            return list((await session.execute(query)).scalars())

    async def last_id(self) -> int:
        """The newest message id, 0 when there is none."""
        async with self._sessions() as session:
            return int((await session.execute(select(func.max(Message.id)))).scalar_one_or_none() or 0)

    async def _newest(self, condition: ColumnElement[bool] | None, limit: int) -> list[Message]:
        query = select(Message).where(visible())
        if condition is not None:
            query = query.where(condition)
        query = query.order_by(Message.id.desc()).limit(limit)  # type: ignore[union-attr]
        async with self._sessions() as session:
            rows = list((await session.execute(query)).scalars())
        rows.reverse()
        return rows

    async def delete(self, message_id: int, reason: str | None, now: datetime | None = None) -> DeleteOutcome:
        """Make message `message_id` a tombstone: its text erased, when and why kept (notified on the bus
        with PostgreSQL). Deleting it again changes nothing."""
        when = now or utc_now()
        reason = reason[:DELETED_REASON_LENGTH] if reason else None
        async with self._sessions() as session:
            found = (
                await session.execute(select(col(Message.id)).where(col(Message.id) == message_id))
            ).one_or_none()
            if found is None:
                return "unknown"
            changed = await session.execute(
                update(Message)
                .where(col(Message.id) == message_id, visible())
                .values(text="", deleted_at=when, deleted_reason=reason)
            )
            if changed.rowcount == 0:  # type: ignore[attr-defined]
                return "already deleted"
            if self.notify_deletions:
                await session.execute(NOTIFY, {"channel": CHANNEL, "payload": deletion_payload([message_id])})
            await session.commit()
        return "deleted"

    async def newest_before(self, cutoff: datetime) -> int | None:
        """The newest id of a message stored before `cutoff` (tombstones included), None when none is."""
        query = select(func.max(Message.id)).where(col(Message.created_at) < cutoff)
        async with self._sessions() as session:
            found = (await session.execute(query)).scalar_one_or_none()
        return int(found) if found is not None else None

    async def delete_through(self, message_id: int) -> int:
        """Remove every row with an id up to `message_id` for good (retention); how many were messages
        still shown (not tombstones). Notified on the bus with PostgreSQL."""
        async with self._sessions() as session:
            shown = (
                await session.execute(select(func.count()).where(col(Message.id) <= message_id, visible()))
            ).scalar_one()
            await session.execute(delete(Message).where(col(Message.id) <= message_id))
            if self.notify_deletions:
                payload = deletion_payload([], message_id)
                await session.execute(NOTIFY, {"channel": CHANNEL, "payload": payload})
            await session.commit()
        return int(shown)

    async def deleted_since(self, since: datetime | None) -> list[Deletion]:
        """Tombstones made at or after `since` (all with None), oldest deletion first."""
        query = select(Message.id, Message.deleted_at).where(col(Message.deleted_at).is_not(None))  # type: ignore[call-overload]
        if since is not None:
            query = query.where(col(Message.deleted_at) >= since)
        async with self._sessions() as session:
            rows = (await session.execute(query.order_by(col(Message.deleted_at)))).all()
        return [Deletion(row[0], as_utc(row[1])) for row in rows]

    async def last_deleted_at(self) -> datetime | None:
        """When the newest tombstone was made (None when there is none)."""
        async with self._sessions() as session:
            found = (await session.execute(select(func.max(col(Message.deleted_at))))).scalar_one_or_none()
        return as_utc(found) if found is not None else None

    async def listing(self, *, author: str | None, since: datetime | None, limit: int) -> list[Message]:
        """The newest `limit` messages shown (by `author`, stored at or after `since`), oldest first."""
        conditions: list[ColumnElement[bool]] = []
        if author is not None:
            conditions.append(col(Message.author) == author)
        if since is not None:
            conditions.append(col(Message.created_at) >= since)
        return await self._newest(and_(*conditions) if conditions else None, limit)

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

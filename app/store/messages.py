"""Queries on the message table."""

from __future__ import annotations

from collections.abc import Callable, Collection

from sqlalchemy import BigInteger, ColumnElement, func, literal, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col

from app.store.models import Message
from app.store.notify import CHANNEL, NOTIFY, ORDER_LOCK

Announce = Callable[[Message], str]


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
        query = select(Message).where(Message.id > _id(message_id)).order_by(Message.id).limit(limit)  # type: ignore[arg-type]
        async with self._sessions() as session:
            return list((await session.execute(query)).scalars())

    async def last_id(self) -> int:
        """The newest message id, 0 when there is none."""
        async with self._sessions() as session:
            return int((await session.execute(select(func.max(Message.id)))).scalar_one_or_none() or 0)

    async def _newest(self, condition: ColumnElement[bool] | None, limit: int) -> list[Message]:
        query = select(Message)
        if condition is not None:
            query = query.where(condition)
        query = query.order_by(Message.id.desc()).limit(limit)  # type: ignore[union-attr]
        async with self._sessions() as session:
            rows = list((await session.execute(query)).scalars())
        rows.reverse()
        return rows

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

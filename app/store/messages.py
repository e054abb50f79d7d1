"""Queries on the message table."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col

from app.store.models import Message


class MessageStore:
    """Stores messages and reads them back; every call runs on the async engine, off the event loop."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False, class_=AsyncSession)

    async def add(self, author: str, text: str) -> Message:
        message = Message(author=author, text=text)
        async with self._sessions() as session:
            session.add(message)
            await session.commit()
        return message

    async def add_once(self, author: str, text: str, client_msg_id: str) -> tuple[Message, bool]:
        """Store a message under the browser's id of the send, once: `(message, True)` when stored now,
        `(the message stored earlier, False)` when that id is already taken.

        The unique constraint decides, not a look-up first: two sends racing with one id store one row."""
        message = Message(author=author, text=text, client_msg_id=client_msg_id)
        async with self._sessions() as session:
            session.add(message)
            try:
                await session.commit()
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
        return await self._newest(Message.id > message_id, limit)  # type: ignore[operator,arg-type]

    async def up_to(self, message_id: int, limit: int) -> list[Message]:
        """The newest `limit` messages with ids up to `message_id`, oldest first (context before a gap)."""
        return await self._newest(Message.id <= message_id, limit)  # type: ignore[operator,arg-type]

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

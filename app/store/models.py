"""The tables."""

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


def utc_now() -> datetime:
    return datetime.now(UTC)


class Message(SQLModel, table=True):
    """One chat message as stored."""

    __tablename__ = "message"

    id: int | None = Field(default=None, primary_key=True)
    author: str = Field(max_length=40)
    text: str = Field(max_length=1000)
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )

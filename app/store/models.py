"""The tables."""

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, String, UniqueConstraint
from sqlmodel import Field, SQLModel

CLIENT_MSG_ID_LENGTH = 36  # a UUID in its canonical text form
DELETED_REASON_LENGTH = 200


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """`moment`, read as UTC when it names no zone (SQLite gives times back without one)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Message(SQLModel, table=True):
    """One chat message as stored. `client_msg_id` is the id the browser gave the send: unique, so a
    repeated send stores nothing new (NULL for messages stored without one). A message an operator
    deleted stays as a tombstone: `deleted_at` and `deleted_reason` set, its text erased."""

    __tablename__ = "message"
    __table_args__ = (UniqueConstraint("client_msg_id", name="uq_message_client_msg_id"),)

    id: int | None = Field(default=None, primary_key=True)
    author: str = Field(max_length=40)
    text: str = Field(max_length=1000)
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    client_msg_id: str | None = Field(
        default=None, sa_column=Column(String(CLIENT_MSG_ID_LENGTH), nullable=True)
    )
    deleted_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    deleted_reason: str | None = Field(
        default=None, sa_column=Column(String(DELETED_REASON_LENGTH), nullable=True)
    )


class PresenceRow(SQLModel, table=True):
    """One name online on one instance: how many of that instance's tabs use it, and when the instance
    last said it is alive. Rows whose heartbeat is older than the expiry belong to a dead instance."""

    __tablename__ = "presence"

    instance_id: str = Field(sa_column=Column(String(200), primary_key=True))
    name: str = Field(sa_column=Column(String(40), primary_key=True))
    tabs: int
    heartbeat_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))

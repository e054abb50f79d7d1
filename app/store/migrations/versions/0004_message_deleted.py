"""Deleted messages stay as tombstones with when and why.

Their text is erased. Indexes for the deletion watch (by deletion time) and retention (by age).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deleted_reason", sa.String(length=200), nullable=True))
    op.create_index("ix_message_deleted_at", "message", ["deleted_at"])
    op.create_index("ix_message_created_at", "message", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_message_created_at", table_name="message")
    op.drop_index("ix_message_deleted_at", table_name="message")
    with op.batch_alter_table("message") as batch:
        batch.drop_column("deleted_reason")
        batch.drop_column("deleted_at")

"""Presence across instances: each instance's names with a heartbeat.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "presence",
        sa.Column("instance_id", sa.String(length=200), primary_key=True),
        sa.Column("name", sa.String(length=40), primary_key=True),
        sa.Column("tabs", sa.Integer(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_presence_heartbeat_at", "presence", ["heartbeat_at"])


def downgrade() -> None:
    op.drop_index("ix_presence_heartbeat_at", table_name="presence")
    op.drop_table("presence")

"""The browser's id of a send, unique: a repeated send stores nothing new.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot add a constraint to an existing table, so Alembic copies the table there
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("client_msg_id", sa.String(length=36), nullable=True))
        batch.create_unique_constraint("uq_message_client_msg_id", ["client_msg_id"])


def downgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.drop_constraint("uq_message_client_msg_id", type_="unique")
        batch.drop_column("client_msg_id")

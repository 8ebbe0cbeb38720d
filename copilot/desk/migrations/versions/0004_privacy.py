"""messages.idempotency_key: a customer message the chat system sends twice (a retry after a
timeout) is stored once; unique per conversation, so two concurrent repeats cannot both insert

Revision ID: 0004b
Revises: 0004a
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004b"
down_revision = "0004a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(
            "uq_messages_idempotency_key", ["conversation_id", "idempotency_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint("uq_messages_idempotency_key", type_="unique")
        batch_op.drop_column("idempotency_key")

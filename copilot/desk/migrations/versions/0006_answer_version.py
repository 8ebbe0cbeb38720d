"""escalations.answer_version: which version of the pharmacist's answer is current (0: not
answered yet, 1: the answer, +1 for each correction), so a correction is a conditional update
and the second of two gets 409 naming the first

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("answer_version", sa.Integer(), nullable=False, server_default="0")
        )
    escalations = sa.table(
        "escalations", sa.column("answer", sa.Text), sa.column("answer_version", sa.Integer)
    )
    op.execute(
        escalations.update().where(escalations.c.answer.is_not(None)).values(answer_version=1)
    )


def downgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("answer_version")

"""users.one_time_password_at: when a one-time password was issued (it expires after
`server.one_time_password_hours`)

A one-time password still waiting to be changed is dated by what the audit log and the row
know: the admin's latest reset of it, else the account's creation. One older than the setting
is refused at the next login, as one issued after this revision would be.

Revision ID: 0005
Revises: 0004b
Create Date: 2026-12-08 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("one_time_password_at", sa.DateTime(timezone=True), nullable=True)
        )
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("must_change_password", sa.Boolean),
        sa.column("one_time_password_at", sa.DateTime(timezone=True)),
    )
    audit = sa.table(
        "audit_log",
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("action", sa.String),
        sa.column("entity", sa.String),
        sa.column("entity_id", sa.String),
    )
    last_reset = (
        sa.select(sa.func.max(audit.c.at))
        .where(
            audit.c.entity == "user",
            audit.c.action == "user.password_reset",
            audit.c.entity_id == sa.cast(users.c.id, sa.String(64)),
        )
        .scalar_subquery()
    )
    op.execute(
        users.update()
        .where(users.c.must_change_password.is_(True))
        .values(one_time_password_at=sa.func.coalesce(last_reset, users.c.created_at))
    )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("one_time_password_at")

"""suggestions.status indexed: every open page's live pulse counts the customer messages still
waiting for an agent (status pending), once a second

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:10:00
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_suggestions_status", "suggestions", ["status"])


def downgrade() -> None:
    op.drop_index("ix_suggestions_status", table_name="suggestions")

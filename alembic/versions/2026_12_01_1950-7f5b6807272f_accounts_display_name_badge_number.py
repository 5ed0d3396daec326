"""accounts: display name and badge number (警号)

Revision ID: 7f5b6807272f
Revises: 40a1f4ebbf53
Create Date: 2026-12-01 19:50:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7f5b6807272f"
down_revision: str | None = "40a1f4ebbf53"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("badge_number", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("badge_number")
        batch_op.drop_column("display_name")

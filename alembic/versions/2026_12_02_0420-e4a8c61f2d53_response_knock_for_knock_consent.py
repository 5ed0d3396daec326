"""case responses: each party's consent to 互碰自赔

Revision ID: e4a8c61f2d53
Revises: d15e7c0a9b41
Create Date: 2026-12-02 04:20:00+00:00

A response choosing an insurer claim may agree to 互碰自赔 (knock-for-knock); the case's
settlement applies it only when every party agreed. Responses given before: no consent.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4a8c61f2d53"
down_revision: str | None = "d15e7c0a9b41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_responses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "knock_for_knock_consent", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("case_responses", schema=None) as batch_op:
        batch_op.drop_column("knock_for_knock_consent")

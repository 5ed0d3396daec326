"""accounts: disable and token versions; usernames in lower case; lockouts leave the database

Revision ID: a3c91e5d7b20
Revises: 5c1e7a9b3d42
Create Date: 2026-12-01 19:50:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accident_online.kit.db

revision: str = "a3c91e5d7b20"
down_revision: str | None = "5c1e7a9b3d42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    # Usernames become case-insensitive: stored in lower case. Two accounts differing only
    # in case cannot both keep their names; refuse rather than pick one.
    clashes = connection.execute(
        sa.text("SELECT lower(username) FROM users GROUP BY lower(username) HAVING count(*) > 1")
    ).all()
    if clashes:
        names = ", ".join(sorted(row[0] for row in clashes))
        raise RuntimeError(
            f"usernames differing only in case: {names}; rename all but one, then migrate"
        )
    connection.execute(sa.text("UPDATE users SET username = lower(username)"))
    for table in ("users", "partners"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "disabled_at", accident_online.kit.db.UTCDateTime(timezone=True), nullable=True
                )
            )
            batch_op.add_column(
                sa.Column("token_version", sa.Integer(), server_default="0", nullable=False)
            )
    # Failed sign-ins are counted in the rate-limit storage (memory or Redis) now.
    op.drop_table("sign_in_throttles")


def downgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("subject", sa.String(length=160), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", accident_online.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_sign_in_throttles")),
    )
    for table in ("partners", "users"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("token_version")
            batch_op.drop_column("disabled_at")

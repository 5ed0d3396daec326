"""cases: the one mediation organisation and the one court a case goes to

Revision ID: 5c1e7a9b3d42
Revises: 7f5b6807272f
Create Date: 2026-12-01 20:00:00.000000+00:00

Cases already in mediation or litigation go to the partner of that kind registered
first, as new cases do (cases.resolvers), so that nobody loses a case they see today.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e7a9b3d42"
down_revision: str | None = "7f5b6807272f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mediation_partner_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("court_partner_id", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_cases_mediation_partner_id", ["mediation_partner_id"], unique=False
        )
        batch_op.create_index("ix_cases_court_partner_id", ["court_partner_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_cases_mediation_partner_id_partners", "partners", ["mediation_partner_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_cases_court_partner_id_partners", "partners", ["court_partner_id"], ["id"]
        )
    for column, kind, resolution in (
        ("mediation_partner_id", "mediation", "mediation"),
        ("court_partner_id", "court", "litigation"),
    ):
        op.execute(
            sa.text(
                f"UPDATE cases SET {column} = (SELECT id FROM partners WHERE kind = :kind "  # noqa: S608 (constant names)
                "ORDER BY created_at, id LIMIT 1) WHERE resolution = :resolution"
            ).bindparams(kind=kind, resolution=resolution)
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint("fk_cases_court_partner_id_partners", type_="foreignkey")
        batch_op.drop_constraint("fk_cases_mediation_partner_id_partners", type_="foreignkey")
        batch_op.drop_index("ix_cases_court_partner_id")
        batch_op.drop_index("ix_cases_mediation_partner_id")
        batch_op.drop_column("court_partner_id")
        batch_op.drop_column("mediation_partner_id")

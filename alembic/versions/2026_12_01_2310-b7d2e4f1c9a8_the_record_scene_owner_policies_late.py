"""cases: the record the law asks for (issue 13): the scene (weather, road, light, accident
form), late reports; parties: owner, collision points, the commercial policy

Revision ID: b7d2e4f1c9a8
Revises: b7d4e2f19a60
Create Date: 2026-12-01 23:00:00.000000+00:00

Vehicle types reported in words become their GA 802 codes where the words are a code's
name; other words stay as they were (the record shows them as given).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7d2e4f1c9a8"
down_revision: str | None = "b7d4e2f19a60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# models/codes.py VEHICLE_TYPE_ALIASES as it stood when this was written.
_VEHICLE_TYPES = {
    "大型普通客车": "K11",
    "中型普通客车": "K21",
    "小型普通客车": "K31",
    "小型越野客车": "K32",
    "小型轿车": "K33",
    "小型专用客车": "K34",
    "微型普通客车": "K41",
    "微型越野客车": "K42",
    "微型轿车": "K43",
    "重型普通货车": "H11",
    "中型普通货车": "H21",
    "轻型普通货车": "H31",
    "微型普通货车": "H41",
    "重型半挂牵引车": "Q11",
    "普通二轮摩托车": "M21",
    "轻便二轮摩托车": "M22",
    "三轮汽车": "N11",
    "轿车": "K33",
    "小型客车": "K31",
    "小型汽车": "K33",
}


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("weather", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("road_surface", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("light", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("accident_form", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("late_taken_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_name", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("owner_id_number", sa.String(length=18), nullable=True))
        batch_op.add_column(
            sa.Column("collision_points", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("commercial_insurer_code", sa.String(length=32), nullable=True)
        )
        batch_op.add_column(
            sa.Column("commercial_insurer_partner_id", sa.String(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("commercial_policy_number", sa.String(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("commercial_own_damage", sa.Boolean(), nullable=True))
        batch_op.create_index(
            "ix_case_parties_commercial_insurer_partner_id",
            ["commercial_insurer_partner_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            "fk_case_parties_commercial_insurer_partner_id_partners",
            "partners",
            ["commercial_insurer_partner_id"],
            ["id"],
        )
    op.create_table(
        "report_refusal_reasons",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False,
                  autoincrement=True),
        sa.Column("refusal_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("district", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name="fk_report_refusal_reasons_partner_id_partners"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_report_refusal_reasons"),
        sa.UniqueConstraint(
            "partner_id",
            "idempotency_key",
            "reason",
            name="uq_report_refusal_reasons_partner_id_idempotency_key_reason",
        ),
    )  # fmt: skip
    op.create_index(
        "ix_report_refusal_reasons_refused_at", "report_refusal_reasons", ["refused_at"]
    )
    parties = sa.table("case_parties", sa.column("vehicle_type", sa.String))
    for words, code in _VEHICLE_TYPES.items():
        op.execute(
            parties.update()
            .where(parties.c.vehicle_type == sa.literal(words))
            .values(vehicle_type=sa.literal(code))
        )


def downgrade() -> None:
    op.drop_index("ix_report_refusal_reasons_refused_at", table_name="report_refusal_reasons")
    op.drop_table("report_refusal_reasons")
    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_case_parties_commercial_insurer_partner_id_partners", type_="foreignkey"
        )
        batch_op.drop_index("ix_case_parties_commercial_insurer_partner_id")
        batch_op.drop_column("commercial_own_damage")
        batch_op.drop_column("commercial_policy_number")
        batch_op.drop_column("commercial_insurer_partner_id")
        batch_op.drop_column("commercial_insurer_code")
        batch_op.drop_column("collision_points")
        batch_op.drop_column("owner_id_number")
        batch_op.drop_column("owner_name")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("late_taken_at")
        batch_op.drop_column("late")
        batch_op.drop_column("accident_form")
        batch_op.drop_column("light")
        batch_op.drop_column("road_surface")
        batch_op.drop_column("weather")

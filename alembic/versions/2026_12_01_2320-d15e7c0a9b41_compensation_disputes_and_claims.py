"""compensation disputes: appraisals, arbitration agreements, compensations, claim lines

Revision ID: d15e7c0a9b41
Revises: b7d2e4f1c9a8
Create Date: 2026-12-01 23:20:00.000000+00:00

Cases gain the arbitration commission they went to and the court's stage (诉前调解).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from accident_online.kit.db import Money, UTCDateTime

revision: str = "d15e7c0a9b41"
down_revision: str | None = "b7d2e4f1c9a8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("arbitration_partner_id", sa.String(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("court_stage", sa.String(length=24), nullable=True))
        batch_op.create_index(
            "ix_cases_arbitration_partner_id", ["arbitration_partner_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_cases_arbitration_partner_id_partners",
            "partners",
            ["arbitration_partner_id"],
            ["id"],
        )
    op.create_table(
        "appraisals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("appraiser_partner_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("vehicles", sa.JSON(), nullable=False),
        sa.Column("question", sa.String(length=2000), nullable=False),
        sa.Column("consenting_parties", sa.JSON(), nullable=False),
        sa.Column("repair_quotes", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("decline_reason", sa.String(length=2000), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("objection_deadline", UTCDateTime(), nullable=True),
        sa.Column("objections", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appraiser_partner_id"],
            ["partners.id"],
            name=op.f("fk_appraisals_appraiser_partner_id_partners"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_appraisals_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisals")),
    )
    op.create_index(op.f("ix_appraisals_case_id"), "appraisals", ["case_id"], unique=False)
    op.create_index(
        op.f("ix_appraisals_appraiser_partner_id"),
        "appraisals",
        ["appraiser_partner_id"],
        unique=False,
    )
    op.create_table(
        "arbitration_agreements",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("party", sa.Integer(), nullable=False),
        sa.Column("signed_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_arbitration_agreements_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arbitration_agreements")),
        sa.UniqueConstraint(
            "case_id", "party", name=op.f("uq_arbitration_agreements_case_id_party")
        ),
    )
    op.create_index(
        op.f("ix_arbitration_agreements_case_id"),
        "arbitration_agreements",
        ["case_id"],
        unique=False,
    )
    op.create_table(
        "compensations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("basis", sa.String(length=24), nullable=False),
        sa.Column("amounts", sa.JSON(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("settled_at", UTCDateTime(), nullable=False),
        sa.Column("confirmation", sa.String(length=16), nullable=True),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_compensations_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compensations")),
    )
    op.create_index(op.f("ix_compensations_case_id"), "compensations", ["case_id"], unique=False)
    op.create_table(
        "claim_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("compensation_id", sa.Uuid(), nullable=False),
        sa.Column("basis", sa.String(length=24), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("insurer_code", sa.String(length=32), nullable=False),
        sa.Column("insurer_partner_id", sa.String(length=64), nullable=True),
        sa.Column("payer_party", sa.Integer(), nullable=True),
        sa.Column("payee_party", sa.Integer(), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("paid_amount", Money(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("paid_at", UTCDateTime(), nullable=True),
        sa.Column("overdue_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_claim_lines_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["compensation_id"],
            ["compensations.id"],
            name=op.f("fk_claim_lines_compensation_id_compensations"),
        ),
        sa.ForeignKeyConstraint(
            ["insurer_partner_id"],
            ["partners.id"],
            name=op.f("fk_claim_lines_insurer_partner_id_partners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_lines")),
    )
    op.create_index(op.f("ix_claim_lines_case_id"), "claim_lines", ["case_id"], unique=False)
    op.create_index(
        op.f("ix_claim_lines_compensation_id"), "claim_lines", ["compensation_id"], unique=False
    )
    op.create_index(
        op.f("ix_claim_lines_insurer_partner_id"),
        "claim_lines",
        ["insurer_partner_id"],
        unique=False,
    )
    op.create_index(
        "ix_claim_lines_status_due_at", "claim_lines", ["status", "due_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_claim_lines_status_due_at", table_name="claim_lines")
    op.drop_index(op.f("ix_claim_lines_insurer_partner_id"), table_name="claim_lines")
    op.drop_index(op.f("ix_claim_lines_compensation_id"), table_name="claim_lines")
    op.drop_index(op.f("ix_claim_lines_case_id"), table_name="claim_lines")
    op.drop_table("claim_lines")
    op.drop_index(op.f("ix_compensations_case_id"), table_name="compensations")
    op.drop_table("compensations")
    op.drop_index(op.f("ix_arbitration_agreements_case_id"), table_name="arbitration_agreements")
    op.drop_table("arbitration_agreements")
    op.drop_index(op.f("ix_appraisals_appraiser_partner_id"), table_name="appraisals")
    op.drop_index(op.f("ix_appraisals_case_id"), table_name="appraisals")
    op.drop_table("appraisals")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint("fk_cases_arbitration_partner_id_partners", type_="foreignkey")
        batch_op.drop_index("ix_cases_arbitration_partner_id")
        batch_op.drop_column("court_stage")
        batch_op.drop_column("arbitration_partner_id")

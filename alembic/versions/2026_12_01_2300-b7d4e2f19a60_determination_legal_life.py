"""the determination's legal life: confirmations, deliveries, review, finality

Cases gain each party's confirmation, the deliveries (送达) of the decision, the one review
(复核), revoked decisions, the determination's and the review's time limits and when
liability became final. Answers lose ``accepts`` and ``by_deadline`` (silence no longer
counts as acceptance), cases their ``response_deadline``.

Cases filed before confirmations existed count as confirmed by every party (method
``before_confirmations``), so that none of them is held back or expires.

Revision ID: b7d4e2f19a60
Revises: a3c91e5d7b20
Create Date: 2026-12-01 23:00:00+00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import accident_online.kit.db

revision: str = "b7d4e2f19a60"
down_revision: str | None = "a3c91e5d7b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when() -> sa.types.TypeEngine[datetime]:
    return accident_online.kit.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("determination_requested", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("confirmations", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("determination_due_at", _when(), nullable=True))
        batch_op.add_column(sa.Column("receipts", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("review", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("review_due_at", _when(), nullable=True))
        batch_op.add_column(
            sa.Column("revoked_decisions", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("final_at", _when(), nullable=True))
        batch_op.drop_column("response_deadline")
    with op.batch_alter_table("case_responses", schema=None) as batch_op:
        batch_op.drop_column("by_deadline")
        batch_op.drop_column("accepts")
    # The server defaults only filled the rows there were; the models give their own.
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.alter_column("confirmations", server_default=None)
        batch_op.alter_column("receipts", server_default=None)
        batch_op.alter_column("revoked_decisions", server_default=None)

    connection = op.get_bind()
    now = datetime.now(UTC).isoformat()
    rows = connection.execute(
        sa.text("SELECT case_id, count(*) FROM case_parties GROUP BY case_id")
    ).all()
    for case_id, count in rows:
        confirmed = [
            {
                "party": index,
                "method": "before_confirmations",
                "confirmed_at": now,
                "recorded_at": now,
            }
            for index in range(count)
        ]
        connection.execute(
            sa.text("UPDATE cases SET confirmations = :value WHERE id = :id").bindparams(
                sa.bindparam("value", type_=sa.JSON())
            ),
            {"value": confirmed, "id": case_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("case_responses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("accepts", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("by_deadline", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response_deadline", _when(), nullable=True))
        batch_op.drop_column("final_at")
        batch_op.drop_column("revoked_decisions")
        batch_op.drop_column("review_due_at")
        batch_op.drop_column("review")
        batch_op.drop_column("receipts")
        batch_op.drop_column("determination_due_at")
        batch_op.drop_column("confirmations")
        batch_op.drop_column("determination_requested")

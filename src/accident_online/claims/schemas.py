from __future__ import annotations

import uuid
from decimal import Decimal

from pydantic import BaseModel, Field

from accident_online.kit.time import BeijingDateTime
from accident_online.models.dispute import ClaimStatus, CompensationBasis


class ClaimRead(BaseModel):
    """One insurer's payment to one party, with its deadline."""

    id: uuid.UUID
    case_id: uuid.UUID
    insurer_code: str
    insurer: str | None = Field(description="The insurer's partner id; null when not connected.")
    party: int = Field(description="The party to be paid.")
    payer_party: int | None = Field(description="The insured party whose liability it pays.")
    amount: Decimal = Field(description="Yuan.")
    paid_amount: Decimal
    status: ClaimStatus
    basis: CompensationBasis
    rule: str
    requested_at: BeijingDateTime
    due_at: BeijingDateTime
    paid_at: BeijingDateTime | None
    overdue: bool = Field(description="Not paid and past `due_at`.")

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from accident_online.decisions.schemas import PartyIndex
from accident_online.kit.fields import NOT_BLANK_LINE, Name
from accident_online.kit.money import Amount, round_cents
from accident_online.kit.time import BeijingDateTime, Rfc3339DateTime
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


PaymentReference = Annotated[
    Name,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=NOT_BLANK_LINE),
]


class ClaimPaymentCreate(BaseModel):
    """A payment by an insurer that is not on the platform, as the party paid attests it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "party": 0,
                    "amount": "1500.00",
                    "paid_at": "2026-12-02T10:30:00+08:00",
                    "reference": "BOC20261202-000123",
                }
            ]
        },
    )

    party: PartyIndex = Field(description="The party paid: the claim's `party`.")
    # "1500" is recorded as "1500.00", as an insurer's claim.paid is.
    amount: Annotated[Amount, AfterValidator(round_cents)] = Field(
        description="Yuan received; more than 0, at most what is still open on the claim."
    )
    paid_at: Rfc3339DateTime = Field(description="When the money arrived; not in the future.")
    reference: PaymentReference = Field(
        description="The bank transfer's number (转账流水号) or the insurer's payment reference."
    )

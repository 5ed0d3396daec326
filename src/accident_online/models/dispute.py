"""Compensation disputes: appraisals, arbitration agreements, the settled compensation and
the claim lines insurers pay (DOMAIN.md "Compensation disputes")."""

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, ForeignKey, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from accident_online.kit.db import Money, PydanticJSON, UTCDateTime, serial_primary_key
from accident_online.kit.time import utc_now


class _Record(BaseModel):
    # Frozen: SQLAlchemy sees a JSON column change only when a new value is assigned.
    model_config = ConfigDict(frozen=True)


class AppraisalStatus(StrEnum):
    requested = "requested"
    accepted = "accepted"
    completed = "completed"
    declined = "declined"


class AppraisalResult(_Record):
    """The appraiser's figure for one vehicle, with its report."""

    party: int
    assessed_loss: Decimal
    report_number: str
    report_url: str | None = None
    completed_at: datetime


class AppraisalObjection(_Record):
    party: int
    reason: str
    at: datetime


class RepairQuote(_Record):
    party: int
    amount: Decimal
    shop: str | None = None


class Appraisal(SQLModel, table=True):
    """One request to an appraisal organisation (鉴定) about the loss of some vehicles."""

    __tablename__ = "appraisals"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    appraiser_partner_id: str = Field(
        sa_column=Column(String(64), ForeignKey("partners.id"), nullable=False, index=True)
    )
    status: AppraisalStatus = Field(sa_column=Column(String(16), nullable=False))
    vehicles: list[int] = Field(sa_column=Column(PydanticJSON(list[int]), nullable=False))
    question: str = Field(sa_column=Column(String(2000), nullable=False))
    consenting_parties: list[int] = Field(sa_column=Column(PydanticJSON(list[int]), nullable=False))
    repair_quotes: list[RepairQuote] = Field(
        default_factory=list, sa_column=Column(PydanticJSON(list[RepairQuote]), nullable=False)
    )
    requested_by: str = Field(sa_column=Column(String(120), nullable=False))
    requested_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )
    results: list[AppraisalResult] = Field(
        default_factory=list,
        sa_column=Column(PydanticJSON(list[AppraisalResult]), nullable=False),
    )
    decline_reason: str | None = Field(default=None, sa_column=Column(String(2000)))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # Each party may object to the completed appraisal until then (a setting).
    objection_deadline: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    objections: list[AppraisalObjection] = Field(
        default_factory=list,
        sa_column=Column(PydanticJSON(list[AppraisalObjection]), nullable=False),
    )


class ArbitrationAgreement(SQLModel, table=True):
    """A party's written agreement to arbitrate (仲裁协议); every party's is needed."""

    __tablename__ = "arbitration_agreements"
    __table_args__ = (UniqueConstraint("case_id", "party"),)

    id: int | None = Field(default=None, sa_column=serial_primary_key())
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    party: int
    signed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recorded_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )


class CompensationBasis(StrEnum):
    """What settled the compensation a claim line comes from."""

    calculation = "calculation"  # every party accepted the settlement calculation
    mediation_agreement = "mediation_agreement"
    prefiling_mediation = "prefiling_mediation"  # 诉前调解 at the court
    arbitration_award = "arbitration_award"
    judgment = "judgment"


class ConfirmationState(StrEnum):
    requested = "requested"
    granted = "granted"
    refused = "refused"


class AmountDue(_Record):
    """Who is owed what by whose insurer: the payee party and the party insured."""

    party: int
    payer_party: int | None
    insurer_code: str
    amount: Decimal
    rule: str


class Compensation(SQLModel, table=True):
    """The compensation as it was settled, once per basis; claim lines point to it."""

    __tablename__ = "compensations"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    basis: CompensationBasis = Field(sa_column=Column(String(24), nullable=False))
    amounts: list[AmountDue] = Field(
        sa_column=Column(PydanticJSON(list[AmountDue]), nullable=False)
    )
    reference: str | None = Field(default=None, sa_column=Column(String(64)))
    settled_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )
    # 司法确认 of a mediated agreement.
    confirmation: ConfirmationState | None = Field(default=None, sa_column=Column(String(16)))
    withdrawn: bool = Field(default=False)


class ClaimStatus(StrEnum):
    open = "open"
    paid = "paid"
    withdrawn = "withdrawn"


class ClaimLine(SQLModel, table=True):
    """One insurer's payment to one party (一键理赔), with its due date."""

    __tablename__ = "claim_lines"
    __table_args__ = (Index("ix_claim_lines_status_due_at", "status", "due_at", "id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    compensation_id: uuid.UUID = Field(foreign_key="compensations.id", index=True)
    basis: CompensationBasis = Field(sa_column=Column(String(24), nullable=False))
    rule: str = Field(sa_column=Column(String(32), nullable=False))
    insurer_code: str = Field(sa_column=Column(String(32), nullable=False))
    insurer_partner_id: str | None = Field(
        default=None, sa_column=Column(String(64), ForeignKey("partners.id"), index=True)
    )
    payer_party: int | None = Field(default=None)
    payee_party: int
    amount: Decimal = Field(sa_column=Column(Money(), nullable=False))
    paid_amount: Decimal = Field(default=Decimal("0.00"), sa_column=Column(Money(), nullable=False))
    status: ClaimStatus = Field(sa_column=Column(String(16), nullable=False))
    requested_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    paid_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # Set when claim.overdue was announced, so it is announced once.
    overdue_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

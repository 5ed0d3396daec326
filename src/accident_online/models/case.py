"""The shared case record: one accident, its parties, timeline and evidence."""

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel

from accident_online.kit.db import Money, PydanticJSON, UTCDateTime, serial_primary_key
from accident_online.kit.time import utc_now
from accident_online.models.codes import CollisionPoint
from accident_online.models.determination import (
    ConfirmationRecord,
    ReceiptRecord,
    ReviewRecord,
    RevokedDecisionRecord,
)
from accident_online.models.records import AgreedLiabilityRecord, Decision, RequestedEvidence


class CaseStatus(StrEnum):
    awaiting_evidence = "awaiting_evidence"
    queued = "queued"
    under_review = "under_review"
    decided = "decided"
    accepted = "accepted"
    disputed = "disputed"
    in_mediation = "in_mediation"
    in_litigation = "in_litigation"
    in_arbitration = "in_arbitration"
    # Compensation settled (agreement, award, judgment): insurers pay the claim lines.
    awaiting_payment = "awaiting_payment"
    closed = "closed"
    referred_offline = "referred_offline"
    # The determination's legal life (order 146; cases.state).
    review_requested = "review_requested"
    final = "final"
    expired = "expired"


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        # The officers' queue: a center's queued cases, oldest first.
        Index("ix_cases_center_status_queued", "center_id", "status", "queued_at"),
        Index("ix_cases_reported_at_id", "reported_at", "id"),
        Index("ix_cases_status_reported_at", "status", "reported_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    number: str = Field(sa_column=Column(String(20), nullable=False, unique=True))
    status: CaseStatus = Field(sa_column=Column(String(24), nullable=False))
    version: int = Field(default=1)
    last_event_seq: int = Field(default=0)

    center_id: str = Field(sa_column=Column(String(32), ForeignKey("centers.id"), nullable=False))
    home_center_id: str = Field(sa_column=Column(String(32), nullable=False))
    routing_reason: str = Field(sa_column=Column(String(24), nullable=False))
    filed_by_partner_id: str = Field(
        sa_column=Column(String(64), ForeignKey("partners.id"), nullable=False, index=True)
    )

    occurred_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    reported_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )
    queued_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    updated_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )

    latitude: float = Field(sa_column=Column(Float, nullable=False))
    longitude: float = Field(sa_column=Column(Float, nullable=False))
    address: str = Field(sa_column=Column(String(200), nullable=False))
    district: str = Field(sa_column=Column(String(16), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    # The scene as reported (models/codes.py); null on cases reported before they were asked.
    weather: str | None = Field(default=None, sa_column=Column(String(16)))
    road_surface: str | None = Field(default=None, sa_column=Column(String(16)))
    light: str | None = Field(default=None, sa_column=Column(String(16)))
    accident_form: str | None = Field(default=None, sa_column=Column(String(16)))
    # Order 146 art. 18: reported after the parties left the scene, past the reporting
    # window; an officer decides whether the case is taken (late_taken_at) or referred.
    late: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    late_taken_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    eligibility_answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    agreed_liability: list[AgreedLiabilityRecord] | None = Field(
        default=None, sa_column=Column(PydanticJSON(list[AgreedLiabilityRecord]))
    )

    # Evidence an officer asked to be re-shot, cleared when uploaded.
    requested_evidence: list[RequestedEvidence] = Field(
        default_factory=list,
        sa_column=Column(PydanticJSON(list[RequestedEvidence]), nullable=False),
    )
    evidence_request_message: str | None = Field(default=None, sa_column=Column(String(1000)))

    assigned_officer_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    claim_expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    decision: Decision | None = Field(default=None, sa_column=Column(PydanticJSON(Decision)))
    # The parties agreed on liability yet jointly ask the police to determine it.
    determination_requested: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default="0")
    )
    confirmations: list[ConfirmationRecord] = Field(
        default_factory=list,
        sa_column=Column(PydanticJSON(list[ConfirmationRecord]), nullable=False),
    )
    # The time limit for the determination (order 146 art. 24), set when first queued and
    # again when a review revoked the decision.
    determination_due_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # Deliveries of the decision in force (a revoked one keeps its own in its history).
    receipts: list[ReceiptRecord] = Field(
        default_factory=list,
        sa_column=Column(PydanticJSON(list[ReceiptRecord]), nullable=False),
    )
    review: ReviewRecord | None = Field(default=None, sa_column=Column(PydanticJSON(ReviewRecord)))
    review_due_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_decisions: list[RevokedDecisionRecord] = Field(
        default_factory=list,
        sa_column=Column(PydanticJSON(list[RevokedDecisionRecord]), nullable=False),
    )
    final_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    resolution: str | None = Field(default=None, sa_column=Column(String(24)))
    # The one mediation organisation and the one court the case went to (cases.resolvers);
    # only they see it, receive its requests and send events about it.
    mediation_partner_id: str | None = Field(
        default=None, sa_column=Column(String(64), ForeignKey("partners.id"), index=True)
    )
    court_partner_id: str | None = Field(
        default=None, sa_column=Column(String(64), ForeignKey("partners.id"), index=True)
    )
    # The arbitration commission the case went to (cases.resolvers), as for mediation.
    arbitration_partner_id: str | None = Field(
        default=None, sa_column=Column(String(64), ForeignKey("partners.id"), index=True)
    )
    # Where the court has the case: prefiling_mediation (诉前调解), prefiling_failed, filed.
    court_stage: str | None = Field(default=None, sa_column=Column(String(24)))
    referral_reason: str | None = Field(default=None, sa_column=Column(String(1000)))


class CaseParty(SQLModel, table=True):
    """One vehicle and its driver; ``index`` is the party number used everywhere in the API."""

    __tablename__ = "case_parties"
    __table_args__ = (UniqueConstraint("case_id", "index"),)

    id: int | None = Field(default=None, sa_column=serial_primary_key())
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    index: int
    name: str = Field(sa_column=Column(String(50), nullable=False))
    phone: str = Field(sa_column=Column(String(11), nullable=False))
    id_number: str = Field(sa_column=Column(String(18), nullable=False))
    licence_number: str = Field(sa_column=Column(String(32), nullable=False))
    plate: str = Field(sa_column=Column(String(10), nullable=False, index=True))
    # A GA 802 code (models/codes.py); words on parties reported before the code list.
    vehicle_type: str = Field(sa_column=Column(String(32), nullable=False))
    # The vehicle's owner where not the driver (null: the driver owns it).
    owner_name: str | None = Field(default=None, sa_column=Column(String(50)))
    owner_id_number: str | None = Field(default=None, sa_column=Column(String(18)))
    collision_points: list[CollisionPoint] = Field(
        default_factory=list,
        sa_column=Column(PydanticJSON(list[CollisionPoint]), nullable=False, server_default="[]"),
    )
    # The compulsory policy (交强险): insurer_code, insurer_partner_id, policy_number.
    insurer_code: str = Field(sa_column=Column(String(32), nullable=False))
    insurer_partner_id: str | None = Field(
        default=None, sa_column=Column(String(64), ForeignKey("partners.id"), index=True)
    )
    policy_number: str = Field(sa_column=Column(String(64), nullable=False))
    # The commercial policy (商业险), if any, possibly with another insurer.
    commercial_insurer_code: str | None = Field(default=None, sa_column=Column(String(32)))
    commercial_insurer_partner_id: str | None = Field(
        default=None, sa_column=Column(String(64), ForeignKey("partners.id"), index=True)
    )
    commercial_policy_number: str | None = Field(default=None, sa_column=Column(String(64)))
    commercial_third_party_cover: Decimal | None = Field(default=None, sa_column=Column(Money()))
    commercial_own_damage: bool | None = Field(default=None, sa_column=Column(Boolean))
    assessed_loss: Decimal | None = Field(default=None, sa_column=Column(Money()))
    paid_amount: Decimal | None = Field(default=None, sa_column=Column(Money()))


class CaseResponse(SQLModel, table=True):
    """A party's choice of how compensation is settled, once liability stands."""

    __tablename__ = "case_responses"
    __table_args__ = (UniqueConstraint("case_id", "party"),)

    id: int | None = Field(default=None, sa_column=serial_primary_key())
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    party: int
    resolution: str = Field(sa_column=Column(String(24), nullable=False))
    # With `insurer_claim`: the party agrees to 互碰自赔, which the case's settlement applies
    # only when every party agreed (settlement.service.case_settlement).
    knock_for_knock_consent: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    answered_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )


class CaseEvent(SQLModel, table=True):
    """The append-only timeline of a case."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: int | None = Field(default=None, sa_column=serial_primary_key())
    case_id: uuid.UUID = Field(foreign_key="cases.id")
    seq: int
    type: str = Field(sa_column=Column(String(48), nullable=False))
    at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(sa_column=Column(String(120), nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Evidence(SQLModel, table=True):
    __tablename__ = "evidence"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    kind: str = Field(sa_column=Column(String(24), nullable=False))
    party: int | None = Field(default=None)
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    content_type: str = Field(sa_column=Column(String(32), nullable=False))
    size: int
    filename: str | None = Field(default=None, sa_column=Column(String(255)))
    uploaded_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )


class CaseNumberCounter(SQLModel, table=True):
    """The last case number given out per day (Asia/Shanghai date), e.g. LC20261128-0001."""

    __tablename__ = "case_number_counters"

    day: str = Field(sa_column=Column(String(8), primary_key=True))
    last: int = Field(default=0)

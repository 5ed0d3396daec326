"""The case record as the API shows it, masked per reader."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, WithJsonSchema

from accident_online.cases.evidence_kinds import EvidenceKind
from accident_online.kit.time import BeijingDateTime
from accident_online.models.case import CaseStatus
from accident_online.models.records import AS_STORED, Decision, LiabilityGrade


class LocationRead(BaseModel):
    lat: float
    lon: float
    address: str
    district: str


class InsurerRead(BaseModel):
    code: str
    partner_id: str | None = Field(description="The insurer partner on the platform, if any.")
    connected: bool = Field(description="Whether that insurer receives this case's events.")


class PartyRead(BaseModel):
    party: int = Field(description="The party's index, used by evidence, decisions and responses.")
    label: str = Field(description="The party as documents name it: 甲, 乙, 丙…", examples=["甲"])
    name: str
    phone: str
    id_number: str
    licence_number: str
    plate: str
    vehicle_type: str
    insurer: InsurerRead
    policy_number: str
    commercial_third_party_cover: Decimal | None
    assessed_loss: Decimal | None = None
    paid_amount: Decimal | None = None
    masked: bool = Field(description="True when personal data is masked for this reader.")


class MissingEvidence(BaseModel):
    kind: EvidenceKind
    party: int | None = None


class EvidenceRead(BaseModel):
    id: uuid.UUID
    kind: EvidenceKind
    party: int | None
    content_type: str
    size: int
    sha256: str
    uploaded_at: BeijingDateTime
    content_url: str
    view_url: str | None = Field(
        default=None,
        description=(
            "A signed link that opens the photo in a new browser tab without a token "
            "(HEIC shown as JPEG); it expires after a few minutes: read the case again for "
            "a fresh one. null when the photo is withheld from you."
        ),
    )
    withheld: bool = Field(
        default=False,
        description=(
            "True for a photo of an identity document of a party whose personal data you "
            "see masked: its content is not served to you."
        ),
    )


class AgreedLiabilityRead(BaseModel):
    """One party's liability as the parties agreed it in their report."""

    party: int
    label: str = Field(description="The party's label (甲, 乙…).")
    grade: LiabilityGrade
    share_percent: int | None


class ResponseRead(BaseModel):
    party: int
    label: str = Field(description="甲, 乙, 丙… for the party.")
    accepts: bool
    resolution: str
    answered_at: BeijingDateTime
    by_deadline: bool = Field(
        description="True when silence past the deadline counted as acceptance."
    )


class OfficerRead(BaseModel):
    id: uuid.UUID
    username: str | None = None
    display_name: str | None = Field(
        default=None,
        description="The officer's name as people read it (the username if none was given).",
    )
    badge_number: str | None = Field(default=None, description="警号, the police badge number.")
    claim_expires_at: BeijingDateTime | None = None


class CaseRead(BaseModel):
    id: uuid.UUID
    number: str = Field(examples=["LC20261128-0001"])
    status: CaseStatus
    version: int
    center_id: str
    home_center_id: str
    routing_reason: str
    filed_by: str
    occurred_at: BeijingDateTime
    reported_at: BeijingDateTime
    queued_at: BeijingDateTime | None
    decided_at: BeijingDateTime | None
    closed_at: BeijingDateTime | None
    location: LocationRead
    description: str
    eligibility_answers: dict[str, bool]
    agreed_liability: list[AgreedLiabilityRead] | None
    parties: list[PartyRead]
    missing: list[EvidenceKind] = Field(
        description="Evidence kinds still missing (per-party kinds once)."
    )
    missing_evidence: list[MissingEvidence] = Field(
        description="Exactly what is missing, by party."
    )
    evidence_request_message: str | None
    evidence: list[EvidenceRead]
    assigned_officer: OfficerRead | None
    decision: Annotated[Decision, AS_STORED] | None = Field(
        description="认定，按作出时的记录原样显示（认定书的校验码据此计算）· The decision exactly "
        "as recorded, which the document's verification code covers."
    )
    response_deadline: BeijingDateTime | None
    responses: list[ResponseRead]
    # Typed as settlement.schemas.SettlementRead, which builds on this package: the
    # document references its component (GET /v1/cases/{case_id}/settlement declares it).
    settlement: Annotated[
        dict[str, Any] | None,
        WithJsonSchema(
            {
                "anyOf": [{"$ref": "#/components/schemas/SettlementRead"}, {"type": "null"}],
                "description": "Reserved: null in this version. Who pays what is "
                "`GET /v1/cases/{case_id}/settlement`, from the decision and the assessed "
                "losses.",
            }
        ),
    ] = None
    resolution: str | None
    referral_reason: str | None


class CaseSummary(BaseModel):
    """A case in a list: enough to pick it, without personal data."""

    id: uuid.UUID
    number: str
    status: CaseStatus
    version: int
    center_id: str
    routing_reason: str
    occurred_at: BeijingDateTime
    reported_at: BeijingDateTime
    queued_at: BeijingDateTime | None
    district: str
    address: str
    plates: list[str]
    missing: list[EvidenceKind]


class CaseEventRead(BaseModel):
    seq: int
    type: str
    at: BeijingDateTime
    actor: str
    data: dict[str, Any]

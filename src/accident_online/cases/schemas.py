"""The case record as the API shows it, masked per reader."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema

from accident_online.cases.evidence_kinds import EvidenceKind
from accident_online.kit.time import BeijingDateTime
from accident_online.models.case import CaseStatus
from accident_online.models.codes import AccidentForm, CollisionPoint, Light, RoadSurface, Weather
from accident_online.models.determination import (
    ConfirmationRecord,
    ReceiptRecord,
    ReviewRecord,
    RevokedDecisionRecord,
)
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


class PolicyRead(BaseModel):
    """The vehicle's compulsory policy (交强险)."""

    insurer: InsurerRead
    policy_number: str


class CommercialPolicyRead(BaseModel):
    """The vehicle's commercial policy (商业险). Reports before 2026-12-01 gave only the
    third-party cover, taken to be with the compulsory insurer: no policy number then."""

    insurer: InsurerRead
    policy_number: str | None
    third_party_cover: Decimal | None = Field(description="商业三者险 in yuan; null: none.")
    own_damage: bool | None = Field(description="Whether 车损险 is held; null: not reported.")


class OwnerRead(BaseModel):
    name: str
    id_number: str


class PartyRead(BaseModel):
    party: int = Field(description="The party's index, used by evidence, decisions and responses.")
    label: str = Field(description="The party as documents name it: 甲, 乙, 丙…", examples=["甲"])
    name: str
    phone: str
    id_number: str
    licence_number: str
    plate: str
    vehicle_type: str = Field(description="GA 802 code (words on reports before the code list).")
    vehicle_type_name: str = Field(examples=["小型轿车"])
    owner: OwnerRead | None = Field(description="null: the driver owns the vehicle.")
    collision_points: list[CollisionPoint]
    compulsory_policy: PolicyRead
    commercial_policy: CommercialPolicyRead | None
    insurer: InsurerRead = Field(description="= `compulsory_policy.insurer`.")
    policy_number: str = Field(description="= `compulsory_policy.policy_number`.")
    commercial_third_party_cover: Decimal | None = Field(
        description="= `commercial_policy.third_party_cover`."
    )
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
    resolution: str = Field(description="How the party wants compensation settled.")
    knock_for_knock_consent: bool = Field(
        description="The party agrees to 互碰自赔; the settlement applies it only when every "
        "party does (and it qualifies)."
    )
    answered_at: BeijingDateTime


class OfficerRead(BaseModel):
    id: uuid.UUID
    username: str | None = None
    display_name: str | None = Field(
        default=None,
        description="The officer's name as people read it (the username if none was given).",
    )
    badge_number: str | None = Field(default=None, description="警号, the police badge number.")
    claim_expires_at: BeijingDateTime | None = None


class LateReportRead(BaseModel):
    """Order 146 art. 18: the police decide within 3 days whether to take a late report."""

    decide_by: BeijingDateTime
    taken_at: BeijingDateTime | None = Field(
        description="When the officer took the case; null while undecided (a refused one is "
        "referred offline)."
    )
    notice: str = Field(description="What the drivers are told, in Chinese and English.")


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
    weather: Weather | None = Field(description="null on cases reported before it was asked.")
    road_surface: RoadSurface | None
    light: Light | None
    accident_form: AccidentForm | None
    late: bool = Field(description="Filed after the reporting window (order 146 art. 18).")
    late_report: LateReportRead | None = Field(description="Only for a late report.")
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
    procedure: Literal["agreement", "determination"] = Field(
        description="agreement: the parties agreed on liability (自行协商) and the officer "
        "confirms it (协议书); determination: the officer determines it (认定书)."
    )
    determination_requested: bool = Field(
        description="The parties agreed yet jointly asked for a determination."
    )
    confirmations: list[Annotated[ConfirmationRecord, AS_STORED]] = Field(
        description="Each party's confirmation of the report on their own phone."
    )
    missing_confirmations: list[int] = Field(
        description="The parties whose confirmation is still missing: the case is queued "
        "only when none is (and no photo is missing)."
    )
    determination_due_at: BeijingDateTime | None = Field(
        description="The determination's time limit (order 146 art. 24)."
    )
    determination_overdue: bool
    receipts: list[Annotated[ReceiptRecord, AS_STORED]] = Field(
        description="Delivery (送达) of the decision in force to each party: signed or refused."
    )
    review: Annotated[ReviewRecord, AS_STORED] | None = Field(
        description="The one review (复核) applied for, and its outcome."
    )
    review_overdue: bool
    revoked_decisions: list[Annotated[RevokedDecisionRecord, AS_STORED]] = Field(
        description="Decisions a review revoked, kept as they were, with their deliveries."
    )
    final_at: BeijingDateTime | None = Field(description="When liability became final.")
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
    determination_due_at: BeijingDateTime | None = None
    determination_overdue: bool = Field(
        default=False, description="Not determined within the time limit (order 146 art. 24)."
    )


class CaseEventRead(BaseModel):
    seq: int
    type: str
    at: BeijingDateTime
    actor: str
    data: dict[str, Any]

"""What each timeline event's `data` holds, by event type: the one registry of them.

`GET /v1/cases/{case_id}/events` answers every event with its `data` as stored; the OpenAPI
document (apidocs.timeline) declares each type's `data` from the model here, told apart by
`type`. tests/cases/test_timeline_documented.py fails when the code emits a type that has
no model here, or stores data its model does not declare.

To add an event type: one model below (the keys your code stores, as stored: ids and
times as strings, absent keys not required) and one line in TIMELINE_EVENTS.

Built on kit and models only (every domain package imports cases), so values that are
another package's enum are spelled out as Literals; the test checks them against the enums.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from accident_online.cases.evidence_kinds import EvidenceKind
from accident_online.cases.timeline_disputes import (
    CHANGED_TIMELINE_EVENTS,
    DISPUTE_TIMELINE_EVENTS,
)
from accident_online.models.case import CaseStatus
from accident_online.models.records import DecidedLiability

# Readers must ignore keys they do not know: a later version may store more.
_OPEN = ConfigDict(extra="allow", populate_by_name=True)
Yuan = Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{2}$", examples=["5000.00"])]
PartyIndex = Annotated[int, Field(ge=0, description="The party's index (0 = 甲).")]
Resolution = Literal["insurer_claim", "mediation", "litigation"]  # decisions.schemas
RoutingReason = Literal["jurisdiction", "overflow", "closed", "offline", "no_center_open"]
CorrectedField = Literal["plate", "phone", "licence_number", "insurer"]  # PartyCorrection
ReviewOutcome = Literal["upheld", "revoked"]  # reviews.schemas
# determination_rules.FinalBecause, and the two ways that are not about receipts.
FinalReason = Literal["no_objection", "windows_lapsed", "review_upheld", "agreement_confirmed"]


class _Data(BaseModel):
    model_config = _OPEN


class CaseReportedEntryData(_Data):
    number: str = Field(description="The case number.", examples=["LC20261128-0001"])
    parties: int = Field(ge=2, description="How many vehicles are in the report.")
    late: bool = Field(
        default=False,
        description="Reported after the time allowed (order 146 art. 18): an officer decides "
        "whether it is taken (`case.late_report_taken`) or referred offline.",
    )


class CaseRoutedEntryData(_Data):
    center_id: str = Field(description="The remote liability center that has the case.")
    home_center_id: str = Field(description="The center whose area the accident is in.")
    reason: RoutingReason = Field(description="Why that center (centers.routing).")


class EvidenceAddedEntryData(_Data):
    evidence_id: uuid.UUID
    kind: EvidenceKind
    party: int | None = Field(description="The vehicle, for per-vehicle kinds; else null.")
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    size: int = Field(ge=1, description="Bytes.")
    content_type: str = Field(examples=["image/jpeg"])


class StatusChangeEntryData(_Data):
    """The case moved from one status to another."""

    from_: CaseStatus = Field(alias="from", description="The status before.")
    to: CaseStatus = Field(description="The status after.")


class CaseClaimedEntryData(StatusChangeEntryData):
    officer_id: uuid.UUID = Field(description="The officer who holds the case now.")
    claim_expires_at: AwareDatetime = Field(description="When the lease ends unless renewed.")


class CaseClaimExpiredEntryData(StatusChangeEntryData):
    officer_id: uuid.UUID | None = Field(description="The officer whose lease ran out.")


class RequestedPhotoEntry(_Data):
    kind: EvidenceKind
    party: int | None = Field(
        default=None, description="The vehicle, for per-vehicle kinds; absent for the scene."
    )


class CaseEvidenceRequestedEntryData(StatusChangeEntryData):
    kinds: list[RequestedPhotoEntry] = Field(description="The photos the officer asks for.")
    message: str = Field(description="The officer's words to the drivers.")


class CaseReferredOfflineEntryData(StatusChangeEntryData):
    reason: str = Field(description="Why the case is to be handled in person.")


class CaseConfirmedEntryData(_Data):
    party: PartyIndex
    method: str = Field(
        pattern=r"^[a-z0-9_]+$",
        description="How the driver confirmed on their own phone.",
        examples=["sms_code"],
    )
    confirmed_at: AwareDatetime


class PartyDetails(_Data):
    """A party's corrected details; phone and licence number masked."""

    plate: str | None = Field(default=None, examples=["鲁P54321"])
    phone: str | None = Field(default=None, examples=["159****0002"])
    licence_number: str | None = None
    insurer: str | None = Field(default=None, description="The insurer's code.")


class CaseCorrectedEntryData(_Data):
    party: PartyIndex
    fields: list[CorrectedField] = Field(description="What was corrected.")
    previous: PartyDetails = Field(description="The values before, of those fields.")
    current: PartyDetails = Field(description="The values now, of those fields.")


class CaseReconfirmationRequestedEntryData(StatusChangeEntryData):
    party: PartyIndex = Field(description="The corrected party, to confirm again.")


class CaseExpiredEntryData(StatusChangeEntryData):
    missing_confirmations: list[int] = Field(description="The parties that never confirmed.")


class CaseDeliveredEntryData(_Data):
    party: PartyIndex
    received_at: AwareDatetime = Field(description="送达时间 · When the party received it.")
    signed: bool = Field(description="Signed (true) or refused to sign (false).")
    no_objection: bool = Field(description="The party waived review.")


class CaseReviewRequestedEntryData(StatusChangeEntryData):
    party: PartyIndex
    reason: str = Field(description="Why the party disagrees with the determination.")
    due_at: AwareDatetime = Field(description="When the review is to be decided.")


class CaseReviewDecidedEntryData(_Data):
    outcome: ReviewOutcome
    reasons: str


class CaseDecisionFinalEntryData(StatusChangeEntryData):
    reason: FinalReason = Field(description="Why liability is final now.")
    liabilities: list[DecidedLiability] | None = Field(
        default=None, description="Present when an agreement was confirmed (协议书)."
    )
    agreement: Literal["confirmed", "changed"] | None = Field(
        default=None, description="Present when an agreement was confirmed (协议书)."
    )


class CaseDecisionRevokedEntryData(StatusChangeEntryData):
    reasons: str = Field(description="The reviewer's reasons.")
    revoked: int = Field(ge=0, description="The decision's index in `revoked_decisions`.")
    determination_due_at: AwareDatetime = Field(description="When it is to be determined again.")


class CaseLateReportTakenEntryData(_Data):
    taken_at: AwareDatetime


class CaseDecidedEntryData(StatusChangeEntryData):
    liabilities: list[DecidedLiability]
    agreement: Literal["confirmed", "changed"] | None = Field(
        description="How the decision compares with the parties' own agreement; null when "
        "they made none."
    )


class CaseResponseEntryData(_Data):
    party: PartyIndex
    resolution: Resolution = Field(description="How the party wants compensation settled.")


class CaseDisputedEntryData(StatusChangeEntryData):
    parties: list[int] = Field(description="The parties that dispute the decision.")


class CaseLitigationRequestedEntryData(StatusChangeEntryData):
    reason: Literal["mediation_failed"] | None = Field(
        default=None, description="Present when mediation failed first."
    )


class CaseClosedEntryData(StatusChangeEntryData):
    reason: Literal["claims_paid", "mediation_agreed", "judgment_issued"]


class PartnerEventEntryData(_Data):
    """A signed event a partner sent (POST /v1/webhooks/{partner_id}), as applied."""

    webhook_id: str = Field(description="The partner's `webhook-id` of the message.")
    sent_at: AwareDatetime = Field(description="The event's `timestamp`, as the partner sent it.")


class ClaimOpenedEntryData(PartnerEventEntryData):
    party: PartyIndex | None = None
    claim_number: str | None = None


class ClaimAssessedEntryData(PartnerEventEntryData):
    party: PartyIndex
    assessed_loss: Yuan
    claim_number: str | None = None
    replaces: Yuan | None = Field(default=None, description="The loss assessed before, if any.")


class ClaimPaidEntryData(PartnerEventEntryData):
    party: PartyIndex
    amount: Yuan
    claim_number: str | None = None
    paid_total: Yuan = Field(description="Everything paid towards this party's loss so far.")


class MediationAgreedEntryData(PartnerEventEntryData):
    agreement: str | None = None


class MediationFailedEntryData(PartnerEventEntryData):
    reason: str | None = None


class LawsuitFiledEntryData(PartnerEventEntryData):
    docket_number: str | None = None


class JudgmentIssuedEntryData(PartnerEventEntryData):
    docket_number: str | None = None
    summary: str | None = None


# event type → the model of its `data`. One line per type; keep the types of a flow together.
TIMELINE_EVENTS: Final[Mapping[str, type[BaseModel]]] = MappingProxyType(
    {
        "case.reported": CaseReportedEntryData,
        "case.routed": CaseRoutedEntryData,
        "evidence.added": EvidenceAddedEntryData,
        "case.confirmed": CaseConfirmedEntryData,
        "case.corrected": CaseCorrectedEntryData,
        "case.reconfirmation_requested": CaseReconfirmationRequestedEntryData,
        "case.expired": CaseExpiredEntryData,
        "case.queued": StatusChangeEntryData,
        "case.claimed": CaseClaimedEntryData,
        "case.claim_renewed": CaseClaimedEntryData,
        "case.released": StatusChangeEntryData,
        "case.claim_expired": CaseClaimExpiredEntryData,
        "case.evidence_requested": CaseEvidenceRequestedEntryData,
        "case.referred_offline": CaseReferredOfflineEntryData,
        "case.late_report_taken": CaseLateReportTakenEntryData,
        "case.decided": CaseDecidedEntryData,
        "case.delivered": CaseDeliveredEntryData,
        "case.review_requested": CaseReviewRequestedEntryData,
        "case.review_decided": CaseReviewDecidedEntryData,
        "case.decision_revoked": CaseDecisionRevokedEntryData,
        "case.decision_final": CaseDecisionFinalEntryData,
        "case.response": CaseResponseEntryData,
        "case.accepted": StatusChangeEntryData,
        "case.disputed": CaseDisputedEntryData,
        "case.mediation_requested": StatusChangeEntryData,
        "case.litigation_requested": CaseLitigationRequestedEntryData,
        "case.closed": CaseClosedEntryData,
        "claim.opened": ClaimOpenedEntryData,
        "claim.assessed": ClaimAssessedEntryData,
        "claim.paid": ClaimPaidEntryData,
        "mediation.agreed": MediationAgreedEntryData,
        "mediation.failed": MediationFailedEntryData,
        "lawsuit.filed": LawsuitFiledEntryData,
        "judgment.issued": JudgmentIssuedEntryData,
        # Compensation disputes (timeline_disputes.py): their types, and the shapes they
        # extend.
        **DISPUTE_TIMELINE_EVENTS,
        **CHANGED_TIMELINE_EVENTS,
    }
)

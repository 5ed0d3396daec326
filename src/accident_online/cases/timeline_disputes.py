"""The timeline events of compensation disputes (issue 15, branch `disputes`), by type.

Appraisals, arbitration, judicial confirmation, the court's stages and the claim lines
insurers pay with their due dates. Written in timeline_events.py's conventions: the keys
the code stores, as stored (ids, times and yuan as strings, absent keys not required);
built on kit and models only.

DISPUTE_TIMELINE_EVENTS: the types compensation disputes add. CHANGED_TIMELINE_EVENTS:
types of the determination's life whose data disputes extend (each a superset: older data
still validates). Both are part of TIMELINE_EVENTS.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from accident_online.cases.evidence_kinds import EvidenceKind
from accident_online.models.case import CaseStatus

# As timeline_events._OPEN: readers ignore keys they do not know.
_OPEN = ConfigDict(extra="allow", populate_by_name=True)
Yuan = Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{2}$", examples=["5000.00"])]
# Yuan as a partner or a body sent it (kit.money.Amount: at most two places), stored as is.
YuanAsSent = Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]{1,2})?$", examples=["800.00"])]
PartyIndex = Annotated[int, Field(ge=0, description="The party's index (0 = 甲).")]
# models.dispute.CompensationBasis, spelled out (the test checks them against the enum).
Basis = Literal[
    "calculation", "mediation_agreement", "prefiling_mediation", "arbitration_award", "judgment"
]
# decisions.schemas.Resolution of the disputes branch (arbitration added).
Resolution = Literal["insurer_claim", "mediation", "arbitration", "litigation"]
WithdrawalReason = Literal["appraisal_requested", "confirmation_refused"]


class _Data(BaseModel):
    model_config = _OPEN


class _StatusChange(_Data):
    from_: CaseStatus = Field(alias="from", description="The status before.")
    to: CaseStatus = Field(description="The status after.")


class _PartnerEvent(_Data):
    """A signed event a partner sent (POST /v1/webhooks/{partner_id}), as applied."""

    webhook_id: str = Field(description="The partner's `webhook-id` of the message.")
    sent_at: AwareDatetime = Field(description="The event's `timestamp`, as the partner sent it.")


class AgreedAmountEntry(_Data):
    """disputes.schemas.AgreedAmount as the partner sent it."""

    party: PartyIndex = Field(description="The party paid.")
    payer_party: PartyIndex = Field(description="The party whose insurer pays.")
    amount: YuanAsSent


class AmountDueEntry(_Data):
    """models.dispute.AmountDue: who is owed what by whose insurer."""

    party: PartyIndex = Field(description="The party paid.")
    payer_party: PartyIndex | None = Field(description="The party insured; null if none.")
    insurer_code: str
    amount: YuanAsSent
    rule: str = Field(description="The settlement rule the amount comes from.")


# --- Appraisals (disputes/appraisals.py) ---------------------------------------------


class RepairQuoteEntry(_Data):
    amount: YuanAsSent
    shop: str | None


class AppraisalPhotoEntry(_Data):
    kind: EvidenceKind
    party: int | None = Field(description="The vehicle, for per-vehicle kinds; else null.")
    content_url: str
    view_url: str


class AppraisalMaterialEntry(_Data):
    """What the appraiser gets for one vehicle."""

    party: PartyIndex
    label: str = Field(examples=["乙"])
    plate: str
    insurer_assessed_loss: YuanAsSent | None
    repair_quotes: list[RepairQuoteEntry]
    photos: list[AppraisalPhotoEntry]


class CaseAppraisalRequestedEntryData(_Data):
    appraisal_id: uuid.UUID
    appraiser: str = Field(description="The appraisal partner's id.")
    vehicles: list[int] = Field(description="The parties whose vehicles are appraised.")
    question: str = Field(description="What the appraisal is to answer (鉴定事项).")
    consenting_parties: list[int]
    requested_by: str = Field(description="The actor who asked for it.")
    materials: list[AppraisalMaterialEntry]


class AppraisalObjectedEntryData(_Data):
    appraisal_id: uuid.UUID
    party: PartyIndex
    reason: str


class AppraisalEntryData(_PartnerEvent):
    appraisal_id: uuid.UUID


class AppraisalCompletedEntryData(AppraisalEntryData):
    party: PartyIndex = Field(description="The vehicle appraised.")
    assessed_loss: Yuan
    report_number: str
    report_url: str | None = None
    replaces: Yuan | None = Field(default=None, description="The loss that stood before.")
    objection_deadline: AwareDatetime | None = Field(
        default=None, description="Present once every vehicle is appraised."
    )


class AppraisalDeclinedEntryData(AppraisalEntryData):
    reason: str | None = None


# --- Arbitration, confirmation, the court's stages (disputes/proceedings.py) ----------


class ArbitrationAgreementRecordedEntryData(_Data):
    party: PartyIndex
    signed_at: AwareDatetime


class CaseArbitrationRequestedEntryData(_StatusChange):
    parties: list[int] = Field(description="The parties that chose arbitration.")


class CaseConfirmationRequestedEntryData(_Data):
    """司法确认 of a mediated agreement asked of the court (disputes/proceedings.py)."""

    compensation_id: uuid.UUID
    basis: Basis
    amounts: list[AmountDueEntry]
    requested_by: str


class CourtNoteEntryData(_PartnerEvent):
    docket_number: str | None = None
    reason: str | None = None


class PrefilingMediationAgreedEntryData(_PartnerEvent):
    docket_number: str | None = None
    amounts: list[AgreedAmountEntry]


class ArbitrationAwardedEntryData(_PartnerEvent):
    award_number: str | None = None
    amounts: list[AgreedAmountEntry]


# --- Compensation and claim lines (claims/service.py) ----------------------------------


class CaseAwaitingPaymentEntryData(_StatusChange):
    basis: Basis


class CaseCompensationSettledEntryData(_Data):
    compensation_id: uuid.UUID
    basis: Basis
    amounts: list[AmountDueEntry]
    claims: int = Field(ge=0, description="How many claim lines were opened.")


class PayeeEntry(_Data):
    party: PartyIndex
    label: str = Field(examples=["甲"])
    name: str


class ClaimRequestedEntryData(_Data):
    claim_id: uuid.UUID
    insurer_code: str
    party: PartyIndex = Field(description="The party paid.")
    payee: PayeeEntry
    insured_party: PartyIndex | None
    amount: YuanAsSent
    basis: Basis
    rule: str
    due_at: AwareDatetime
    due_rule: str = Field(description="The legal source of the due date.")
    insurer: str | None = Field(default=None, description="The paying insurer's partner id.")


class ClaimWithdrawnEntryData(_Data):
    claim_id: uuid.UUID
    party: PartyIndex
    amount: YuanAsSent
    reason: WithdrawalReason
    insurer: str | None = None


class ClaimOverdueEntryData(_Data):
    claim_id: uuid.UUID
    insurer_code: str
    party: PartyIndex
    amount: YuanAsSent
    paid_amount: YuanAsSent
    due_at: AwareDatetime
    insurer: str | None = None


# --- Types main has, extended: supersets of timeline_events' models -------------------


class CaseResponseChoiceEntryData(_Data):
    party: PartyIndex
    accepts: bool | None = Field(default=None, description="Written by earlier versions only.")
    resolution: Resolution = Field(description="How the party wants compensation settled.")
    knock_for_knock_consent: bool | None = Field(
        default=None,
        description="The party agrees to 互碰自赔 (only with insurer_claim); absent on "
        "responses given before it was asked.",
    )


class CaseLitigationRequestedDisputeEntryData(_StatusChange):
    reason: Literal["mediation_failed", "confirmation_refused", "arbitration_rejected"] | None = (
        Field(default=None, description="Present when the court takes over from another path.")
    )


class CaseClosedSettledEntryData(_StatusChange):
    reason: Literal["claims_paid", "nothing_owed", "mediation_agreed", "judgment_issued"]


class ClaimPaidOnLinesEntryData(_Data):
    """A payment against claim lines (claims/payments.py): an insurer's signed `claim.paid`
    (`webhook_id`, `sent_at`, as `_PartnerEvent`), or, for an insurer that is not on the
    platform, the payment of one line attested by the party paid or an admin (`claim_id`,
    `paid_at`, `reference`, `attested_by`)."""

    webhook_id: str | None = Field(
        default=None, description="The insurer's `webhook-id` of the message."
    )
    sent_at: AwareDatetime | None = Field(
        default=None, description="The event's `timestamp`, as the insurer sent it."
    )
    party: PartyIndex
    amount: Yuan
    claim_number: str | None = None
    paid_total: Yuan = Field(description="Everything paid towards this party's loss so far.")
    claims_paid: list[uuid.UUID] | None = Field(
        default=None, description="The claim lines this payment settled in full."
    )
    claim_id: uuid.UUID | None = Field(default=None, description="The line an attestation pays.")
    insurer_code: str | None = Field(default=None, description="The insurer not connected.")
    paid_at: AwareDatetime | None = Field(default=None, description="When the money arrived.")
    reference: str | None = Field(default=None, description="The bank transfer's number.")
    attested_by: Literal["payee", "admin"] | None = Field(
        default=None, description="Who attests the payment: the party paid (via the app), an admin."
    )

    @model_validator(mode="after")
    def _sent_or_attested(self) -> ClaimPaidOnLinesEntryData:
        sent = self.webhook_id is not None and self.sent_at is not None
        attested = None not in (self.attested_by, self.claim_id, self.paid_at, self.reference)
        if sent == attested:
            raise ValueError(
                "either an insurer's event (webhook_id, sent_at) or an attestation "
                "(attested_by, claim_id, paid_at, reference)"
            )
        return self


class MediationAgreedAmountsEntryData(_PartnerEvent):
    agreement: str | None = None
    amounts: list[AgreedAmountEntry] | None = Field(
        default=None, description="The agreed amounts; absent: the calculation's lines."
    )


class JudgmentIssuedAmountsEntryData(_PartnerEvent):
    docket_number: str | None = None
    summary: str | None = None
    amounts: list[AgreedAmountEntry] | None = Field(
        default=None, description="What the judgment awards; absent: the calculation's lines."
    )


DISPUTE_TIMELINE_EVENTS: Final[Mapping[str, type[BaseModel]]] = MappingProxyType(
    {
        "case.appraisal_requested": CaseAppraisalRequestedEntryData,
        "appraisal.accepted": AppraisalEntryData,
        "appraisal.completed": AppraisalCompletedEntryData,
        "appraisal.declined": AppraisalDeclinedEntryData,
        "appraisal.objected": AppraisalObjectedEntryData,
        "arbitration.agreement_recorded": ArbitrationAgreementRecordedEntryData,
        "case.arbitration_requested": CaseArbitrationRequestedEntryData,
        "arbitration.accepted": CourtNoteEntryData,
        "arbitration.awarded": ArbitrationAwardedEntryData,
        "arbitration.rejected": CourtNoteEntryData,
        "prefiling_mediation.started": CourtNoteEntryData,
        "prefiling_mediation.agreed": PrefilingMediationAgreedEntryData,
        "prefiling_mediation.failed": CourtNoteEntryData,
        "case.confirmation_requested": CaseConfirmationRequestedEntryData,
        "confirmation.granted": CourtNoteEntryData,
        "confirmation.refused": CourtNoteEntryData,
        "judgment.appealed": CourtNoteEntryData,
        "enforcement.requested": CourtNoteEntryData,
        "case.compensation_settled": CaseCompensationSettledEntryData,
        "case.awaiting_payment": CaseAwaitingPaymentEntryData,
        "claim.requested": ClaimRequestedEntryData,
        "claim.withdrawn": ClaimWithdrawnEntryData,
        "claim.overdue": ClaimOverdueEntryData,
    }
)

CHANGED_TIMELINE_EVENTS: Final[Mapping[str, type[BaseModel]]] = MappingProxyType(
    {
        "case.response": CaseResponseChoiceEntryData,
        "case.litigation_requested": CaseLitigationRequestedDisputeEntryData,
        "case.closed": CaseClosedSettledEntryData,
        "claim.paid": ClaimPaidOnLinesEntryData,
        "mediation.agreed": MediationAgreedAmountsEntryData,
        "judgment.issued": JudgmentIssuedAmountsEntryData,
    }
)

"""What partners receive: the body of each outbound event type, as a schema.

webhooks.outbox writes the bodies; these models describe them for the OpenAPI document's
`webhooks` section and for `DeliveryDetail.payload`, and tests/apidocs validates real
deliveries against them. Every type in webhooks.subscriptions.SUBSCRIPTIONS has one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from accident_online.cases.evidence_kinds import EvidenceKind
from accident_online.models.case import CaseStatus
from accident_online.models.records import LiabilityGrade

# Marks a field's schema as "one of the outbound bodies": the OpenAPI document puts a
# reference to their union there (pydantic cannot reference a schema it did not make).

# Receivers must ignore fields they do not know: a later version may add some.
_OPEN = ConfigDict(extra="allow", populate_by_name=True)


class InsuredPolicyData(BaseModel):
    """One policy the receiving insurer holds on a vehicle of the case."""

    model_config = _OPEN

    party: int = Field(ge=0, description="The vehicle (0 = 甲).")
    policy: Literal["compulsory", "commercial"] = Field(
        description="交强险 (compulsory) or the commercial policy (商业险)."
    )
    policy_number: str | None = Field(
        description="As reported; null for commercial cover reported without a number."
    )


class CaseEventData(BaseModel):
    """What every outbound event's `data` carries: the case as it stood with the event."""

    model_config = _OPEN

    case_id: uuid.UUID
    case_number: str = Field(examples=["LC20261128-0001"])
    case_version: int = Field(
        ge=1,
        description="The case's version with this event: order the events of a case by it.",
    )
    status: CaseStatus = Field(description="The case's status with this event.")
    center_id: str = Field(description="The remote liability center that has the case.")
    seq: int = Field(ge=1, description="The event's place in the case's timeline.")
    insured_parties: list[int] = Field(
        default_factory=list,
        description="Only to an insurer, absent for others: the indexes of the parties it "
        "insures (0 = 甲), by either policy.",
    )
    insured_policies: list[InsuredPolicyData] = Field(
        default_factory=list,
        description="Only to an insurer, absent for others: which of its own policies "
        "(compulsory or commercial) cover which party. Another insurer's policy is not shown.",
    )


class StatusChange(CaseEventData):
    """An event that moved the case from one status to another."""

    from_: CaseStatus = Field(alias="from", description="The status before.")
    to: CaseStatus = Field(description="The status after (= `status`).")


class CaseReportedData(CaseEventData):
    number: str = Field(description="The case number (= `case_number`).")
    parties: int = Field(ge=2, description="How many vehicles are in the report.")
    late: bool = Field(
        default=False,
        description="A late report (order 146 art. 18): an officer decides whether the case "
        "is taken.",
    )


class RequestedPhoto(BaseModel):
    model_config = _OPEN

    kind: EvidenceKind
    party: int | None = Field(description="The vehicle, for per-vehicle kinds; else null.")


class CaseEvidenceRequestedData(StatusChange):
    kinds: list[RequestedPhoto] = Field(description="The photos the officer asks for.")
    message: str = Field(description="The officer's words to the drivers.")


class DecidedLiability(BaseModel):
    model_config = _OPEN

    party: int = Field(ge=0)
    label: str = Field(description="甲, 乙, 丙… for the party.")
    grade: LiabilityGrade
    share_percent: int = Field(ge=0, le=100, description="The party's share of liability.")


class CaseDecidedData(StatusChange):
    liabilities: list[DecidedLiability]
    agreement: Literal["confirmed", "changed"] | None = Field(
        description="How the decision compares with the parties' own agreement; null when "
        "they made none."
    )


class CaseAcceptedData(StatusChange):
    """Every party chose an insurer claim: insurers settle the claims."""


class CaseDisputedData(StatusChange):
    parties: list[int] = Field(
        description="The parties that chose mediation, arbitration or litigation over an "
        "insurer claim."
    )


class CaseReferredOfflineData(StatusChange):
    reason: str = Field(description="Why the officer sent the case to be handled in person.")


class CaseClosedData(StatusChange):
    reason: Literal["claims_paid", "nothing_owed", "mediation_agreed", "judgment_issued"] = Field(
        description="`claims_paid`: every claim line was paid; `nothing_owed`: the settled "
        "compensation has no insurer pay anything."
    )


class CaseMediationRequestedData(StatusChange):
    """To the case's mediation organisation: the parties are to be mediated."""


class CaseLitigationRequestedData(StatusChange):
    reason: (
        Literal[
            "mediation_failed",
            "prefiling_mediation_failed",
            "arbitration_rejected",
            "confirmation_refused",
        ]
        | None
    ) = Field(default=None, description="Present when another way failed first.")


class CaseExpiredData(StatusChange):
    missing_confirmations: list[int] = Field(
        description="The parties (0 = 甲) that never confirmed the report in time."
    )


class CaseLateReportTakenData(CaseEventData):
    taken_at: AwareDatetime = Field(
        description="When the officer took the late report: it goes on as any other."
    )


class CaseConfirmedData(CaseEventData):
    party: int = Field(ge=0, description="The party that confirmed the report.")
    method: str = Field(description="How, e.g. sms_code.")
    confirmed_at: AwareDatetime


class CaseCorrectedData(CaseEventData):
    party: int = Field(ge=0, description="The party whose details were corrected.")
    fields: list[Literal["plate", "phone", "licence_number", "insurer"]]
    previous: dict[str, str] = Field(description="The values before (phone, licence masked).")
    current: dict[str, str] = Field(description="The values now (phone, licence masked).")


class CaseReconfirmationRequestedData(StatusChange):
    party: int = Field(
        ge=0, description="The corrected party, whose confirmation of the report is asked again."
    )


class CaseReviewRequestedData(StatusChange):
    party: int = Field(ge=0, description="The party that applied for review (复核).")
    reason: str
    due_at: AwareDatetime = Field(description="The review's time limit (order 146 art. 74).")


class CaseReviewDecidedData(CaseEventData):
    outcome: Literal["upheld", "revoked"]
    reasons: str


class CaseDecisionRevokedData(StatusChange):
    """Back in the center's queue for a new determination."""

    reasons: str
    revoked: int = Field(ge=0, description="The decision's index in `revoked_decisions`.")
    determination_due_at: AwareDatetime


class CaseDecisionFinalData(StatusChange):
    reason: Literal["agreement_confirmed", "no_objection", "windows_lapsed", "review_upheld"]
    liabilities: list[DecidedLiability] | None = Field(
        default=None, description="With an agreement confirmed (协议书): the agreed liability."
    )
    agreement: Literal["confirmed"] | None = Field(
        default=None, description="`confirmed` with an agreement confirmed (协议书)."
    )


class _OutboundEvent(BaseModel):
    model_config = _OPEN

    timestamp: AwareDatetime = Field(description="When it happened (the timeline's `at`).")


class CaseReportedEvent(_OutboundEvent):
    """A report was filed and its case opened."""

    type: Literal["case.reported"]
    data: CaseReportedData


class CaseEvidenceRequestedEvent(_OutboundEvent):
    """The officer asks for photos to be taken again."""

    type: Literal["case.evidence_requested"]
    data: CaseEvidenceRequestedData


class CaseDecidedEvent(_OutboundEvent):
    """The officer decided liability (定责)."""

    type: Literal["case.decided"]
    data: CaseDecidedData


class CaseAcceptedEvent(_OutboundEvent):
    """Every party accepted the decision."""

    type: Literal["case.accepted"]
    data: CaseAcceptedData


class CaseDisputedEvent(_OutboundEvent):
    """A party disputes the decision."""

    type: Literal["case.disputed"]
    data: CaseDisputedData


class CaseReferredOfflineEvent(_OutboundEvent):
    """The case is to be handled in person, not online."""

    type: Literal["case.referred_offline"]
    data: CaseReferredOfflineData


class CaseClosedEvent(_OutboundEvent):
    """The case is closed."""

    type: Literal["case.closed"]
    data: CaseClosedData


class CaseMediationRequestedEvent(_OutboundEvent):
    """The dispute goes to the case's mediation organisation."""

    type: Literal["case.mediation_requested"]
    data: CaseMediationRequestedData


class CaseLitigationRequestedEvent(_OutboundEvent):
    """The dispute goes to the case's court."""

    type: Literal["case.litigation_requested"]
    data: CaseLitigationRequestedData


class CaseExpiredEvent(_OutboundEvent):
    """Some party never confirmed the report in time: the case is closed unheard."""

    type: Literal["case.expired"]
    data: CaseExpiredData


class CaseLateReportTakenEvent(_OutboundEvent):
    """The officer took a late report (order 146 art. 18): it is decided online."""

    type: Literal["case.late_report_taken"]
    data: CaseLateReportTakenData


class CaseConfirmedEvent(_OutboundEvent):
    """A party confirmed the report on their own phone."""

    type: Literal["case.confirmed"]
    data: CaseConfirmedData


class CaseReconfirmationRequestedEvent(_OutboundEvent):
    """A correction sent the case back (from the queue or an officer's desk) to wait for
    the corrected party's confirmation."""

    type: Literal["case.reconfirmation_requested"]
    data: CaseReconfirmationRequestedData


class CaseCorrectedEvent(_OutboundEvent):
    """A party's plate, phone, licence or insurer was corrected before the decision."""

    type: Literal["case.corrected"]
    data: CaseCorrectedData


class CaseReviewRequestedEvent(_OutboundEvent):
    """A party applied for review (复核) of the determination."""

    type: Literal["case.review_requested"]
    data: CaseReviewRequestedData


class CaseReviewDecidedEvent(_OutboundEvent):
    """The reviewer upheld or revoked the determination."""

    type: Literal["case.review_decided"]
    data: CaseReviewDecidedData


class CaseDecisionRevokedEvent(_OutboundEvent):
    """The review revoked the determination: it is made again."""

    type: Literal["case.decision_revoked"]
    data: CaseDecisionRevokedData


class CaseDecisionFinalEvent(_OutboundEvent):
    """Liability is final: the compensation stage opens."""

    type: Literal["case.decision_final"]
    data: CaseDecisionFinalData


# event type → its body; who receives it is in SUBSCRIPTIONS.
OUTBOUND_EVENTS: Final[Mapping[str, type[_OutboundEvent]]] = MappingProxyType(
    {
        "case.reported": CaseReportedEvent,
        "case.evidence_requested": CaseEvidenceRequestedEvent,
        "case.decided": CaseDecidedEvent,
        "case.accepted": CaseAcceptedEvent,
        "case.disputed": CaseDisputedEvent,
        "case.referred_offline": CaseReferredOfflineEvent,
        "case.closed": CaseClosedEvent,
        "case.mediation_requested": CaseMediationRequestedEvent,
        "case.litigation_requested": CaseLitigationRequestedEvent,
        "case.expired": CaseExpiredEvent,
        "case.late_report_taken": CaseLateReportTakenEvent,
        "case.confirmed": CaseConfirmedEvent,
        "case.corrected": CaseCorrectedEvent,
        "case.reconfirmation_requested": CaseReconfirmationRequestedEvent,
        "case.review_requested": CaseReviewRequestedEvent,
        "case.review_decided": CaseReviewDecidedEvent,
        "case.decision_revoked": CaseDecisionRevokedEvent,
        "case.decision_final": CaseDecisionFinalEvent,
    }
)

"""The events partners send (CONTRACT.md "Webhooks", inbound), one model per type.

Unknown fields are ignored (a partner adding fields must not break its integration);
missing or invalid known fields are a 422.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
)

from accident_online.disputes.schemas import AgreedAmount
from accident_online.kit.fields import Name, Text
from accident_online.kit.money import Amount

Money = Annotated[
    Amount,
    Field(description="Yuan, a decimal string with two places."),
    # After the checks: "5000" is stored and shown as "5000.00", "5000.123" is refused.
    AfterValidator(lambda amount: amount.quantize(Decimal("0.01"))),
]
PartyIndex = Annotated[
    int, Field(ge=0, le=19, description="The party's index in the case (0 = first vehicle).")
]
ShortText = Annotated[Name, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
LongText = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class EventData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    case_id: uuid.UUID


class ClaimOpenedData(EventData):
    party: PartyIndex | None = None
    claim_number: ShortText | None = None


class ClaimAssessedData(EventData):
    party: PartyIndex
    assessed_loss: Money
    claim_number: ShortText | None = None


class ClaimPaidData(EventData):
    party: PartyIndex
    amount: Money = Field(description="Paid towards this party's loss; added to earlier payments.")
    claim_number: ShortText | None = None


Amounts = Annotated[
    list[AgreedAmount],
    Field(
        max_length=40,
        description="What is owed: each `{party, payer_party, amount}` is paid to `party` by "
        "`payer_party`'s insurer; these amounts replace the calculation's.",
    ),
]


class MediationAgreedData(EventData):
    agreement: LongText | None = Field(default=None, description="What the parties agreed.")
    amounts: Amounts | None = Field(
        default=None, description="The agreed amounts; absent: the calculation's lines."
    )


class MediationFailedData(EventData):
    reason: LongText | None = None


class LawsuitFiledData(EventData):
    docket_number: ShortText | None = Field(default=None, description="The court's case number.")


class JudgmentIssuedData(EventData):
    docket_number: ShortText | None = None
    summary: LongText | None = None
    amounts: Amounts | None = Field(
        default=None, description="What the judgment awards; absent: the calculation's lines."
    )


class CourtNoteData(EventData):
    docket_number: ShortText | None = None
    reason: LongText | None = None


class PrefilingAgreedData(EventData):
    docket_number: ShortText | None = None
    amounts: Amounts


class AppraisalData(EventData):
    appraisal_id: uuid.UUID = Field(description="From `case.appraisal_requested`.")


class AppraisalCompletedData(AppraisalData):
    party: PartyIndex = Field(description="The vehicle appraised.")
    assessed_loss: Money = Field(description="The appraised loss; it replaces the figure.")
    report_number: ShortText = Field(description="The appraisal report's number.")
    report_url: AnyHttpUrl | None = Field(default=None, description="Where the report is.")


class AppraisalDeclinedData(AppraisalData):
    reason: LongText | None = None


class ArbitrationAwardedData(EventData):
    award_number: ShortText | None = None
    amounts: Amounts


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore")

    timestamp: AwareDatetime = Field(description="When the partner says it happened.")


class ClaimOpened(_Event):
    type: Literal["claim.opened"]
    data: ClaimOpenedData


class ClaimAssessed(_Event):
    type: Literal["claim.assessed"]
    data: ClaimAssessedData


class ClaimPaid(_Event):
    type: Literal["claim.paid"]
    data: ClaimPaidData


class MediationAgreed(_Event):
    type: Literal["mediation.agreed"]
    data: MediationAgreedData


class MediationFailed(_Event):
    type: Literal["mediation.failed"]
    data: MediationFailedData


class LawsuitFiled(_Event):
    type: Literal["lawsuit.filed"]
    data: LawsuitFiledData


class JudgmentIssued(_Event):
    type: Literal["judgment.issued"]
    data: JudgmentIssuedData


class PrefilingMediationStarted(_Event):
    """The court steers the case to pre-filing mediation (诉前调解) first."""

    type: Literal["prefiling_mediation.started"]
    data: CourtNoteData


class PrefilingMediationAgreed(_Event):
    type: Literal["prefiling_mediation.agreed"]
    data: PrefilingAgreedData


class PrefilingMediationFailed(_Event):
    type: Literal["prefiling_mediation.failed"]
    data: CourtNoteData


class ConfirmationGranted(_Event):
    """司法确认: the court confirms the mediated agreement."""

    type: Literal["confirmation.granted"]
    data: CourtNoteData


class ConfirmationRefused(_Event):
    type: Literal["confirmation.refused"]
    data: CourtNoteData


class JudgmentAppealed(_Event):
    """Recorded only: the appeal runs outside this service."""

    type: Literal["judgment.appealed"]
    data: CourtNoteData


class EnforcementRequested(_Event):
    """Recorded only: enforcement (执行) runs outside this service."""

    type: Literal["enforcement.requested"]
    data: CourtNoteData


class AppraisalAccepted(_Event):
    type: Literal["appraisal.accepted"]
    data: AppraisalData


class AppraisalCompleted(_Event):
    type: Literal["appraisal.completed"]
    data: AppraisalCompletedData


class AppraisalDeclined(_Event):
    type: Literal["appraisal.declined"]
    data: AppraisalDeclinedData


class ArbitrationAccepted(_Event):
    type: Literal["arbitration.accepted"]
    data: CourtNoteData


class ArbitrationAwarded(_Event):
    type: Literal["arbitration.awarded"]
    data: ArbitrationAwardedData


class ArbitrationRejected(_Event):
    type: Literal["arbitration.rejected"]
    data: CourtNoteData


DisputeEvent = (
    PrefilingMediationStarted
    | PrefilingMediationAgreed
    | PrefilingMediationFailed
    | ConfirmationGranted
    | ConfirmationRefused
    | JudgmentAppealed
    | EnforcementRequested
    | AppraisalAccepted
    | AppraisalCompleted
    | AppraisalDeclined
    | ArbitrationAccepted
    | ArbitrationAwarded
    | ArbitrationRejected
)

PartnerEvent = Annotated[
    ClaimOpened
    | ClaimAssessed
    | ClaimPaid
    | MediationAgreed
    | MediationFailed
    | LawsuitFiled
    | JudgmentIssued
    | DisputeEvent,
    Field(discriminator="type"),
]
PARTNER_EVENT: TypeAdapter[PartnerEvent] = TypeAdapter(PartnerEvent)

EXAMPLE = {
    "type": "claim.assessed",
    "timestamp": "2026-11-28T10:15:00+08:00",
    "data": {
        "case_id": "0b0c6f5e-9d0a-4f7e-8a55-2f3f2d4b1c9a",
        "party": 1,
        "assessed_loss": "5000.00",
        "claim_number": "PICC-LC-2026-001234",
    },
}


# Every inbound event type, for the OpenAPI document's `InboundEvent` (apidocs.openapi).
INBOUND_EVENTS: tuple[type[_Event], ...] = (
    ClaimOpened,
    ClaimAssessed,
    ClaimPaid,
    MediationAgreed,
    MediationFailed,
    LawsuitFiled,
    JudgmentIssued,
    PrefilingMediationStarted,
    PrefilingMediationAgreed,
    PrefilingMediationFailed,
    ConfirmationGranted,
    ConfirmationRefused,
    JudgmentAppealed,
    EnforcementRequested,
    AppraisalAccepted,
    AppraisalCompleted,
    AppraisalDeclined,
    ArbitrationAccepted,
    ArbitrationAwarded,
    ArbitrationRejected,
)
INBOUND_EVENT_REF = "#/components/schemas/InboundEvent"


class InboundEventResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "applied", "case_version": 14}]}
    )

    status: Literal["applied", "duplicate"] = Field(
        description="`duplicate`: this webhook-id was applied before; nothing changed now."
    )
    case_version: int | None = Field(
        default=None, description="The case's version after the event (when applied)."
    )

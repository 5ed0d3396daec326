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
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
)

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


class MediationAgreedData(EventData):
    agreement: LongText | None = Field(default=None, description="What the parties agreed.")


class MediationFailedData(EventData):
    reason: LongText | None = None


class LawsuitFiledData(EventData):
    docket_number: ShortText | None = Field(default=None, description="The court's case number.")


class JudgmentIssuedData(EventData):
    docket_number: ShortText | None = None
    summary: LongText | None = None


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


PartnerEvent = Annotated[
    ClaimOpened
    | ClaimAssessed
    | ClaimPaid
    | MediationAgreed
    | MediationFailed
    | LawsuitFiled
    | JudgmentIssued,
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

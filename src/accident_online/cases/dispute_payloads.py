"""The bodies of the outbound events of compensation disputes (appraisal, arbitration,
judicial confirmation) and of the claims insurers pay; see cases.webhook_payloads."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from accident_online.cases.evidence_kinds import EvidenceKind
from accident_online.cases.webhook_payloads import CaseEventData, StatusChange, _OutboundEvent
from accident_online.models.dispute import CompensationBasis

_OPEN = ConfigDict(extra="allow", populate_by_name=True)


class PhotoLink(BaseModel):
    model_config = _OPEN

    kind: EvidenceKind
    party: int | None
    content_url: str = Field(description="The photo's bytes, with the appraiser's own token.")
    view_url: str = Field(description="A signed link that works without a token until it expires.")


class QuoteData(BaseModel):
    model_config = _OPEN

    amount: Decimal = Field(description="Yuan.")
    shop: str | None = None


class VehicleMaterials(BaseModel):
    model_config = _OPEN

    party: int = Field(ge=0)
    label: str = Field(description="甲, 乙, 丙… for the party.")
    plate: str
    insurer_assessed_loss: Decimal | None = Field(
        description="The loss the party's insurer assessed (定损单), if it did."
    )
    repair_quotes: list[QuoteData]
    photos: list[PhotoLink]


class CaseAppraisalRequestedData(CaseEventData):
    appraisal_id: uuid.UUID
    appraiser: str = Field(description="The appraisal organisation's partner id.")
    vehicles: list[int] = Field(description="The parties whose vehicles' loss is appraised.")
    question: str = Field(description="What the appraisal is to answer.")
    consenting_parties: list[int]
    requested_by: str
    materials: list[VehicleMaterials]


class CaseArbitrationRequestedData(StatusChange):
    parties: list[int] = Field(description="The parties that chose arbitration.")


class AmountDueData(BaseModel):
    model_config = _OPEN

    party: int = Field(ge=0, description="The party paid.")
    payer_party: int | None = Field(description="The party whose insurer pays.")
    insurer_code: str
    amount: Decimal = Field(description="Yuan.")
    rule: str = Field(description="The calculation's rule, or the basis for agreed amounts.")


class CaseConfirmationRequestedData(CaseEventData):
    """To the court: confirm the mediated agreement (司法确认)."""

    compensation_id: uuid.UUID
    basis: CompensationBasis
    amounts: list[AmountDueData]
    requested_by: str


class CaseCompensationSettledData(CaseEventData):
    compensation_id: uuid.UUID
    basis: CompensationBasis = Field(description="What settled the compensation.")
    amounts: list[AmountDueData]
    claims: int = Field(ge=0, description="How many claim lines insurers are asked to pay.")


class Payee(BaseModel):
    model_config = _OPEN

    party: int = Field(ge=0)
    label: str
    name: str


class ClaimRequestedData(CaseEventData):
    """To the insurer that is to pay: one-click claim (一键理赔)."""

    claim_id: uuid.UUID
    insurer: str = Field(description="Your partner id.")
    insurer_code: str
    party: int = Field(ge=0, description="The party to be paid (as in `claim.paid`).")
    payee: Payee
    insured_party: int | None = Field(description="Your insured whose liability this pays.")
    amount: Decimal = Field(description="Yuan.")
    basis: CompensationBasis
    rule: str
    due_at: datetime = Field(description="Pay by then (`claim.paid`).")
    due_rule: str = Field(description="Where the deadline comes from.")


class ClaimWithdrawnData(CaseEventData):
    claim_id: uuid.UUID
    insurer: str
    party: int = Field(ge=0)
    amount: Decimal
    reason: Literal["appraisal_requested", "confirmation_refused"]


class ClaimOverdueData(CaseEventData):
    claim_id: uuid.UUID
    # The app and the court are told too, also of an insurer with no connected partner.
    insurer: str | None = Field(
        default=None, description="The paying insurer's partner id, when it is connected."
    )
    insurer_code: str = Field(description="The paying insurer's code.")
    party: int = Field(ge=0)
    amount: Decimal
    paid_amount: Decimal
    due_at: datetime


class CaseAppraisalRequestedEvent(_OutboundEvent):
    """An appraisal organisation is asked to appraise a disputed loss (鉴定)."""

    type: Literal["case.appraisal_requested"]
    data: CaseAppraisalRequestedData


class CaseArbitrationRequestedEvent(_OutboundEvent):
    """The dispute goes to the case's arbitration commission (仲裁)."""

    type: Literal["case.arbitration_requested"]
    data: CaseArbitrationRequestedData


class CaseConfirmationRequestedEvent(_OutboundEvent):
    """The court is asked to confirm the mediated agreement (司法确认)."""

    type: Literal["case.confirmation_requested"]
    data: CaseConfirmationRequestedData


class CaseCompensationSettledEvent(_OutboundEvent):
    """The compensation is settled; insurers are asked to pay."""

    type: Literal["case.compensation_settled"]
    data: CaseCompensationSettledData


class ClaimRequestedEvent(_OutboundEvent):
    """Pay this party this amount by `due_at`."""

    type: Literal["claim.requested"]
    data: ClaimRequestedData


class ClaimWithdrawnEvent(_OutboundEvent):
    """A requested claim is withdrawn: do not pay it."""

    type: Literal["claim.withdrawn"]
    data: ClaimWithdrawnData


class ClaimOverdueEvent(_OutboundEvent):
    """A claim was not paid by its due date."""

    type: Literal["claim.overdue"]
    data: ClaimOverdueData


DISPUTE_EVENTS: Final[Mapping[str, type[_OutboundEvent]]] = MappingProxyType(
    {
        "case.appraisal_requested": CaseAppraisalRequestedEvent,
        "case.arbitration_requested": CaseArbitrationRequestedEvent,
        "case.confirmation_requested": CaseConfirmationRequestedEvent,
        "case.compensation_settled": CaseCompensationSettledEvent,
        "claim.requested": ClaimRequestedEvent,
        "claim.withdrawn": ClaimWithdrawnEvent,
        "claim.overdue": ClaimOverdueEvent,
    }
)

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from accident_online.decisions.schemas import PartyIndex
from accident_online.kit.fields import Name, Text
from accident_online.kit.money import Amount
from accident_online.kit.time import BeijingDateTime
from accident_online.models.dispute import (
    AppraisalStatus,
    CompensationBasis,
    ConfirmationState,
)

Question = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Reason = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class RepairQuoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party: PartyIndex
    amount: Amount = Field(description="Yuan: a repair shop's quote (维修报价).")
    shop: Name | None = Field(default=None, max_length=200)


class AppraisalCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "vehicles": [1],
                    "question": "乙车右前翼子板及大灯的维修费用",
                    "consenting_parties": [0, 1],
                    "appraiser": "appraisal-lc",
                    "repair_quotes": [{"party": 1, "amount": "6200.00", "shop": "聊城某4S店"}],
                }
            ]
        },
    )

    vehicles: list[PartyIndex] = Field(
        min_length=1, max_length=20, description="The parties whose vehicles' loss is disputed."
    )
    question: Question = Field(description="What the appraisal is to answer (鉴定事项).")
    consenting_parties: list[PartyIndex] = Field(
        max_length=20,
        description="The parties that applied or consented; from the app, every party.",
    )
    appraiser: Name = Field(
        min_length=2, max_length=64, description="The appraisal organisation's partner id."
    )
    repair_quotes: list[RepairQuoteIn] = Field(default_factory=list, max_length=40)


class AppraisalResultRead(BaseModel):
    party: int
    assessed_loss: Decimal
    report_number: str
    report_url: str | None
    completed_at: BeijingDateTime


class ObjectionRead(BaseModel):
    party: int
    reason: str
    at: BeijingDateTime


class RepairQuoteRead(BaseModel):
    party: int
    amount: Decimal
    shop: str | None


class AppraisalRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    appraiser: str
    status: AppraisalStatus
    vehicles: list[int]
    question: str
    consenting_parties: list[int]
    repair_quotes: list[RepairQuoteRead]
    requested_by: str
    requested_at: BeijingDateTime
    results: list[AppraisalResultRead] = Field(
        description="The appraised loss per vehicle; it replaces the figure in the settlement."
    )
    decline_reason: str | None
    completed_at: BeijingDateTime | None
    objection_deadline: BeijingDateTime | None = Field(
        description="Each party may object until then (`ACCIDENT_ONLINE_APPRAISAL_OBJECTION_DAYS`)."
    )
    objections: list[ObjectionRead]


class ObjectionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"party": 0, "reason": "鉴定未考虑车辆贬值损失"}]},
    )

    party: PartyIndex
    reason: Reason


class ArbitrationAgreementCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"party": 0, "signed_at": "2026-12-01T10:00:00+08:00"}]},
    )

    party: PartyIndex
    signed_at: AwareDatetime = Field(description="When the party signed the written agreement.")


class ArbitrationAgreementRead(BaseModel):
    party: int
    signed_at: BeijingDateTime
    recorded_at: BeijingDateTime


class AmountDueRead(BaseModel):
    party: int = Field(description="The party paid.")
    payer_party: int | None = Field(description="The party whose insurer pays.")
    insurer_code: str
    amount: Decimal
    rule: str


class CompensationRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    basis: CompensationBasis
    amounts: list[AmountDueRead]
    reference: str | None
    settled_at: BeijingDateTime
    confirmation: ConfirmationState | None = Field(description="司法确认 of the agreement.")


class AgreedAmount(BaseModel):
    """An amount an agreement, award or judgment fixes: the payer party's insurer pays it."""

    model_config = ConfigDict(extra="ignore")

    party: PartyIndex = Field(description="The party paid.")
    payer_party: PartyIndex = Field(description="The party whose insurer pays.")
    amount: Annotated[Amount, Field(description="Yuan.")]


def not_in_future(at: datetime, now: datetime) -> bool:
    return at <= now

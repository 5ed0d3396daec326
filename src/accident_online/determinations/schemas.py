"""Requests of the app backend about the determination's life, and the review queue."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)

from accident_online.kit.fields import JSON_INTEGER, NO_PLACEHOLDER, NOT_BLANK, InsurerCodeStr, Name
from accident_online.kit.fields import Text as FreeText
from accident_online.kit.time import Rfc3339DateTime
from accident_online.parties.formats import validate_mobile, validate_plate

Text = Annotated[FreeText, StringConstraints(strip_whitespace=True)]
Line = Annotated[Name, StringConstraints(strip_whitespace=True)]
PartyIndex = Annotated[int, Field(ge=0, le=19), JSON_INTEGER]
# Checked as a report's are (intake.schemas).
Plate = Annotated[Name, StringConstraints(max_length=16), AfterValidator(validate_plate)]
Mobile = Annotated[Name, StringConstraints(max_length=20), AfterValidator(validate_mobile)]


class ConfirmationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"party": 1, "method": "sms_code", "confirmed_at": "2026-11-28T08:19:30+08:00"}
            ]
        },
    )

    party: PartyIndex
    method: Line = Field(
        min_length=1,
        max_length=32,
        pattern=r"^[a-z0-9_]+$",
        description="How the driver confirmed on their own phone, e.g. `sms_code`, "
        "`signing_link`, `in_app`.",
    )
    confirmed_at: Rfc3339DateTime


class PartyCorrection(BaseModel):
    """What may be corrected before the decision; give only what changes."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"plate": "鲁P54321"}]}
    )

    plate: Plate | None = None
    phone: Mobile | None = None
    licence_number: Line | None = Field(
        default=None, min_length=6, max_length=32, pattern=r"^[0-9A-Za-z]+$"
    )
    insurer: InsurerCodeStr | None = Field(
        default=None, description="The insurer's code, e.g. PICC."
    )

    @model_validator(mode="after")
    def _something_changes(self) -> PartyCorrection:
        if not self.model_fields_set or all(
            getattr(self, name) is None for name in self.model_fields_set
        ):
            raise ValueError("give at least one of plate, phone, licence_number, insurer")
        return self


class ReceiptCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"party": 0, "received_at": "2026-11-28T09:02:00+08:00", "signed": True},
                {
                    "party": 1,
                    "received_at": "2026-11-28T09:05:00+08:00",
                    "signed": False,
                    "refusal_note": "当事人拒绝签名",
                },
            ]
        },
    )

    party: PartyIndex
    received_at: Rfc3339DateTime = Field(description="送达时间 · When the party received it.")
    signed: StrictBool = Field(description="签名（true）或拒绝签名（false）· Signed or refused.")
    refusal_note: Annotated[Text, Field(min_length=1, max_length=500, pattern=NOT_BLANK)] | None = (
        Field(default=None, description="Required when the party refused to sign.")
    )
    no_objection: StrictBool = Field(
        default=False,
        description="当事人无异议：放弃复核；各方均无异议时责任认定立即生效 · The party has no "
        "objection and waives review; when every party does, liability is final at once.",
    )

    @model_validator(mode="after")
    def _refusal_is_noted(self) -> ReceiptCreate:
        if not self.signed and self.refusal_note is None:
            raise ValueError("a party that refused to sign needs a refusal_note")
        return self


class ReviewRequestCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"party": 1, "reason": "〈请填写申请复核的理由〉 <reason for review>"}]
        },
    )

    party: PartyIndex
    reason: Annotated[
        Text,
        Field(
            min_length=1,
            max_length=2000,
            pattern=NOT_BLANK,
            description="复核申请理由（示例中的〈…〉须替换）· Why the party disagrees with the "
            "determination (the example's 〈…〉 must be replaced).",
        ),
        NO_PLACEHOLDER,
    ]

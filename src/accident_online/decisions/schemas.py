from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from accident_online.decisions.liability import LiabilityGrade
from accident_online.evidence.kinds import EvidenceKind
from accident_online.kit.fields import JSON_INTEGER, NOT_BLANK, trimmed_at_least
from accident_online.kit.fields import Text as FreeText

Text = Annotated[FreeText, StringConstraints(strip_whitespace=True)]
PartyIndex = Annotated[int, Field(ge=0, le=19), JSON_INTEGER]
SharePercent = Annotated[int, Field(ge=0, le=100), JSON_INTEGER]


class LiabilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party: PartyIndex
    grade: LiabilityGrade
    share_percent: SharePercent | None = Field(
        default=None, description="Required with three or more parties."
    )


class DecisionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "liabilities": [
                        {"party": 0, "grade": "none"},
                        {"party": 1, "grade": "full"},
                    ],
                    "facts": "乙车在东昌路由西向东行驶至柳园路口变更车道时，"
                    "未让所借用车道内行驶的甲车先行，与甲车右前侧发生刮擦，造成两车损坏。",
                    "legal_basis": "《中华人民共和国道路交通安全法实施条例》第四十四条第二款；"
                    "《道路交通事故处理程序规定》第六十条",
                }
            ]
        },
    )

    liabilities: list[LiabilityIn] = Field(min_length=2, max_length=20)
    facts: Text = Field(
        min_length=10,
        max_length=4000,
        pattern=trimmed_at_least(10),
        description="What happened (事故事实).",
    )
    legal_basis: Text = Field(
        min_length=4,
        max_length=1000,
        pattern=trimmed_at_least(4),
        description="The articles the decision rests on.",
    )


class RequestedKind(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: EvidenceKind
    party: PartyIndex | None = Field(default=None, description="For per-vehicle kinds.")


class EvidenceRequestCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kinds": ["collision_point", {"kind": "plate", "party": 1}],
                    "message": "碰撞部位照片模糊，请靠近重新拍摄；乙车号牌被遮挡，请补拍。",
                }
            ]
        },
    )

    kinds: list[EvidenceKind | RequestedKind] = Field(
        min_length=1,
        max_length=20,
        description="A kind (per-vehicle kinds: every vehicle) or {kind, party}.",
    )
    message: Text = Field(
        min_length=1, max_length=1000, pattern=NOT_BLANK, description="Shown to the drivers."
    )


class ReferralCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "照片显示一方车辆无法移动，需现场处理。"}]},
    )

    reason: Text = Field(min_length=1, max_length=1000, pattern=NOT_BLANK)


class Resolution(StrEnum):
    insurer_claim = "insurer_claim"
    mediation = "mediation"
    litigation = "litigation"


class ResponseCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"party": 0, "accepts": True, "resolution": "insurer_claim"},
                {"party": 1, "accepts": False, "resolution": "mediation"},
            ],
            # The rule answer_decision enforces, for clients and generators to see.
            "if": {"properties": {"accepts": {"const": False}}, "required": ["accepts"]},
            "then": {"properties": {"resolution": {"enum": ["mediation", "litigation"]}}},
        },
    )

    party: PartyIndex
    accepts: StrictBool
    resolution: Resolution = Field(
        description="How to settle: insurer_claim when accepting; mediation or litigation "
        "when disputing."
    )


class DecisionRead(BaseModel):
    liabilities: list[LiabilityIn]
    facts: str
    legal_basis: str
    officer: dict[str, str | None]
    center_id: str
    decided_at: datetime
    agreement: str | None = Field(
        description="confirmed or changed, when the parties had agreed on liability."
    )
    document: str = Field(
        description="liability_determination (认定书) or quick_handling_agreement (协议书)."
    )
    case_version: int


class ClaimRead(BaseModel):
    case_id: uuid.UUID
    status: str
    version: int
    officer_id: uuid.UUID
    claim_expires_at: datetime

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)

from accident_online.cases.evidence_kinds import EvidenceKind
from accident_online.decisions.liability import LiabilityGrade
from accident_online.kit.fields import (
    JSON_INTEGER,
    NO_PLACEHOLDER,
    NOT_BLANK,
    trimmed_at_least,
)
from accident_online.kit.fields import Text as FreeText
from accident_online.kit.time import BeijingDateTime

Text = Annotated[FreeText, StringConstraints(strip_whitespace=True)]
PartyIndex = Annotated[int, Field(ge=0, le=19), JSON_INTEGER]
SharePercent = Annotated[int, Field(ge=0, le=100), JSON_INTEGER]


GRADE_DESCRIPTION = (
    "责任等级（《道路交通事故处理程序规定》第六十条）：`full` 全部责任，`primary` 主要责任，"
    "`equal` 同等责任，`secondary` 次要责任，`none` 无责任。两方：全部/无、主要/次要、同等/同等，"
    "或双方均无责任。\n\n"
    "Liability grade (order 146 art. 60): full, primary, equal, secondary, none. Two parties: "
    "full/none, primary/secondary, equal/equal, or none/none."
)


class LiabilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party: PartyIndex = Field(description="当事人序号（0 为甲方，1 为乙方…）· The party's index.")
    grade: LiabilityGrade = Field(description=GRADE_DESCRIPTION)
    share_percent: SharePercent | None = Field(
        default=None,
        description="责任比例（%），三方及以上时必填 · Required with three or more parties.",
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
                    "facts": "〈请填写事故事实：时间、地点、各方行驶方向与碰撞经过〉 <facts>",
                    "legal_basis": "〈请填写法律依据，例如《道路交通安全法实施条例》第几条〉"
                    " <legal basis>",
                }
            ]
        },
    )

    liabilities: list[LiabilityIn] = Field(min_length=2, max_length=20)
    facts: Annotated[
        Text,
        Field(
            min_length=10,
            max_length=4000,
            pattern=trimmed_at_least(10),
            description="事故事实（写入认定书；示例中的〈…〉须替换，否则 422）· What happened, "
            "as the document will say it; the example's 〈…〉 must be replaced (else 422).",
        ),
        NO_PLACEHOLDER,
    ]
    legal_basis: Annotated[
        Text,
        Field(
            min_length=4,
            max_length=1000,
            pattern=trimmed_at_least(4),
            description="法律依据（条款）· The articles the decision rests on.",
        ),
        NO_PLACEHOLDER,
    ]


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
                    "message": "〈请写明需要补拍什么、为什么，例如：碰撞部位照片模糊，"
                    "请靠近重新拍摄〉 <message to the drivers>",
                }
            ]
        },
    )

    kinds: list[EvidenceKind | RequestedKind] = Field(
        min_length=1,
        max_length=20,
        description="需补拍的照片类型（分车辆的类型不写 party 即每辆车都要）· A kind "
        "(per-vehicle kinds: every vehicle) or {kind, party}.",
    )
    message: Annotated[
        Text,
        Field(
            min_length=1,
            max_length=1000,
            pattern=NOT_BLANK,
            description="给驾驶人看的说明 · Shown to the drivers.",
        ),
        NO_PLACEHOLDER,
    ]


class ReferralCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "〈请填写转线下处理的原因，例如：一方车辆无法移动〉 <reason>"}]
        },
    )

    reason: Annotated[
        Text,
        Field(
            min_length=1,
            max_length=1000,
            pattern=NOT_BLANK,
            description="转线下（现场）处理的原因 · Why the case goes to officers at the scene.",
        ),
        NO_PLACEHOLDER,
    ]


class LateReportDecisionCreate(BaseModel):
    """Whether the police take a late report (order 146 art. 18)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"take": True},
                {"take": False, "reason": "〈请填写不予受理、转线下处理的原因〉 <reason>"},
            ]
        },
    )

    take: StrictBool = Field(
        description="true: the case is taken and goes on as usual; false: referred offline."
    )
    reason: (
        Annotated[
            Text,
            Field(min_length=1, max_length=1000, pattern=NOT_BLANK),
            NO_PLACEHOLDER,
        ]
        | None
    ) = Field(default=None, description="Required when not taken: why it goes offline.")

    @model_validator(mode="after")
    def _reason_when_refused(self) -> LateReportDecisionCreate:
        if not self.take and self.reason is None:
            raise ValueError("reason is required when the late report is not taken")
        return self


class Resolution(StrEnum):
    insurer_claim = "insurer_claim"
    mediation = "mediation"
    litigation = "litigation"
    arbitration = "arbitration"  # only with every party's arbitration agreement (disputes/)


class ResponseCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"party": 0, "resolution": "insurer_claim"},
                {"party": 0, "resolution": "insurer_claim", "knock_for_knock_consent": True},
                {"party": 1, "resolution": "mediation"},
            ]
        },
    )

    party: PartyIndex
    resolution: Resolution = Field(
        description="赔偿如何解决：`insurer_claim` 保险理赔，`mediation` 调解，`litigation` 诉讼，"
        "`arbitration` 仲裁（须各方仲裁协议已登记，且此后排除诉讼）· How compensation is to be "
        "settled: insurers settle, mediation, a lawsuit, or arbitration (every party's "
        "arbitration agreement recorded first; it then excludes the court)."
    )
    knock_for_knock_consent: StrictBool = Field(
        default=False,
        description="同意互碰自赔（仅与 `insurer_claim` 同用；各方均同意且符合条件——均有交强险、"
        "各方均有责任、每车损失不超过 2000 元——时，各自的保险公司赔付本车损失；赔偿确定前可再次"
        "提交 `insurer_claim` 给出或撤回）· The party agrees to 互碰自赔 (only with "
        "`insurer_claim`): when every party agrees and it qualifies (all insured, every party "
        "liable, each loss at most 2,000 yuan), each insurer pays its own insured's loss. True "
        "with another resolution → 422. Sent again with `insurer_claim` and the other value, "
        "it is given or withdrawn until the compensation is settled.",
    )

    @model_validator(mode="before")
    @classmethod
    def _accepts_is_gone(cls, data: Any) -> Any:
        # Liability is no longer accepted or disputed here (that is review, 复核): clients
        # that still send `accepts` learn the field that replaced it.
        if isinstance(data, dict) and "accepts" in data:
            raise ValueError(
                "`accepts` is no longer taken: liability is reviewed, not accepted; say how "
                "compensation is to be settled in `resolution` (insurer_claim, mediation, "
                "litigation, arbitration)"
            )
        return data


class DecisionRead(BaseModel):
    liabilities: list[LiabilityIn]
    facts: str
    legal_basis: str
    officer: dict[str, str | None]
    center_id: str
    decided_at: BeijingDateTime
    agreement: str | None = Field(
        description="confirmed or changed, when the parties had agreed on liability."
    )
    document: str = Field(
        description="liability_determination (认定书) or quick_handling_agreement (协议书)."
    )
    case_version: int

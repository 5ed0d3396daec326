from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from accident_online.cases.schemas import CaseSummary
from accident_online.kit.fields import NO_PLACEHOLDER, NOT_BLANK
from accident_online.kit.fields import Text as FreeText
from accident_online.kit.time import BeijingDateTime
from accident_online.models.determination import ReviewRecord
from accident_online.models.records import AS_STORED

Text = Annotated[FreeText, StringConstraints(strip_whitespace=True)]


class ReviewOutcome(StrEnum):
    upheld = "upheld"
    revoked = "revoked"


class ReviewDecisionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"outcome": "upheld", "reasons": "〈请填写复核结论的理由〉 <reasons>"},
            ]
        },
    )

    outcome: ReviewOutcome = Field(
        description="`upheld` 维持原认定（生效）；`revoked` 撤销，责令原中心重新认定 · The "
        "determination stands (final), or is revoked and made again by its center."
    )
    reasons: Annotated[
        Text,
        Field(
            min_length=1,
            max_length=4000,
            pattern=NOT_BLANK,
            description="复核结论的理由（示例中的〈…〉须替换）· Why (replace the example's 〈…〉).",
        ),
        NO_PLACEHOLDER,
    ]


class ReviewQueueItem(BaseModel):
    case: CaseSummary
    review: Annotated[ReviewRecord, AS_STORED]
    due_at: BeijingDateTime | None
    overdue: bool = Field(description="Past the review's time limit (order 146 art. 74).")

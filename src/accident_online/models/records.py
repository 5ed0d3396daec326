"""The shapes of the case's JSON columns: the decision, the evidence asked for, the
parties' own agreement. Validated when a row is read, written back exactly as given.

The decision's verification code (decisions.document.verification_hash) covers the
decision as stored, so a decision read and written again must keep its JSON: only the
keys it was stored with are written back (``as_stored``), unknown keys included, and
``decided_at`` stays the text it was written as.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer


class LiabilityGrade(StrEnum):
    """Order 146 art. 60: 全部, 主要, 同等, 次要, 无责任."""

    FULL = "full"
    PRIMARY = "primary"
    EQUAL = "equal"
    SECONDARY = "secondary"
    NONE = "none"


class StoredRecord(BaseModel):
    # Frozen: SQLAlchemy sees a JSON column change only when a new value is assigned.
    model_config = ConfigDict(frozen=True, extra="allow")

    def as_stored(self) -> dict[str, Any]:
        """The JSON this record was stored as (or is to be stored as)."""
        return self.model_dump(mode="json", exclude_unset=True)


# Shows a record in an answer with the keys it was stored with, as ``as_stored`` does. (A
# lambda, not a typed function: pydantic would take the answer's schema from a return
# annotation; without one the schema is the record's own.)
AS_STORED = PlainSerializer(lambda record: record.as_stored(), when_used="json")


class AgreedLiabilityRecord(StoredRecord):
    """One party's liability as the parties agreed it in their report."""

    party: int
    grade: LiabilityGrade
    share_percent: int | None = None


class RequestedEvidence(StoredRecord):
    """A photo an officer asked to be re-shot; ``party`` None for photos of the scene."""

    kind: str
    party: int | None = None


class DecidedLiability(StoredRecord):
    party: int
    grade: LiabilityGrade
    share_percent: int
    label: str = Field(description="The party's label (甲, 乙…).")


class DecisionOfficer(StoredRecord):
    """The officer as named when deciding: the document shows who decided, even if the
    account is renamed later. Decisions made before accounts had display names and badge
    numbers lack them."""

    id: str
    username: str | None = None
    display_name: str | None = None
    badge_number: str | None = None


class Decision(StoredRecord):
    """The officer's liability decision (定责) as recorded."""

    liabilities: list[DecidedLiability]
    facts: str
    legal_basis: str
    officer: DecisionOfficer | None = None
    center_id: str | None = None
    decided_at: str = Field(
        json_schema_extra={"format": "date-time"},
        description="On Beijing's clock, as written (the verification code covers its text).",
    )
    agreement: Literal["confirmed", "changed"] | None = Field(
        default=None,
        description="How the decision compares with the parties' own agreement, if any.",
    )
    document: Literal["quick_handling_agreement", "liability_determination"] = Field(
        description="协议书 when the officer confirmed the parties' agreement, else 认定书."
    )
    case_version: int | None = Field(
        default=None, description="The case's version with the decision made."
    )

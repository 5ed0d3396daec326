"""The determination's legal life as stored on the case (order 146; DOMAIN.md "The
determination's life"): each party's confirmation, the delivery (送达) of the document to
each party, the one review (复核) and the decisions a review revoked.

JSON columns of the case, read through these records: a case has a handful of each, they
are read whenever the case is, and a review is once per case.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from accident_online.models.records import Decision, StoredRecord


class ConfirmationRecord(StoredRecord):
    """A party confirmed the report (and the agreement, if any) on their own phone."""

    party: int
    method: str
    confirmed_at: str = Field(json_schema_extra={"format": "date-time"})
    recorded_at: str = Field(json_schema_extra={"format": "date-time"})


class ReceiptRecord(StoredRecord):
    """The document was delivered (送达) to a party, who signed it or refused to."""

    party: int
    received_at: str = Field(json_schema_extra={"format": "date-time"})
    signed: bool
    refusal_note: str | None = None
    no_objection: bool = False


class ReviewRecord(StoredRecord):
    """A party's application for review (复核, order 146 art. 71–74) and its outcome."""

    party: int
    reason: str
    requested_at: str = Field(json_schema_extra={"format": "date-time"})
    due_at: str = Field(json_schema_extra={"format": "date-time"})
    outcome: Literal["upheld", "revoked"] | None = None
    reasons: str | None = None
    decided_at: str | None = Field(default=None, json_schema_extra={"format": "date-time"})
    reviewer: str | None = None


class RevokedDecisionRecord(StoredRecord):
    """A decision the review revoked, kept in the case's history with its deliveries."""

    decision: Decision
    receipts: list[ReceiptRecord] = Field(default_factory=list)
    revoked_at: str = Field(json_schema_extra={"format": "date-time"})
    reasons: str

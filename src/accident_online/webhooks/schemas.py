from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from accident_online.kit.time import BeijingDateTime
from accident_online.models.webhook import DeliveryStatus

# Marks the property whose schema the OpenAPI document replaces with `OutboundEvent`, the
# union of every outbound body (cases/webhook_payloads.py).
OUTBOUND_EVENT_MARK: Final = "x-outbound-event"

_EXAMPLE: dict[str, Any] = {
    "id": "msg_6f1c2b0e4d8a4c3e9b7a5d1f2e3c4b5a",
    "partner_id": "picc-liaocheng",
    "event_type": "case.decided",
    "case_id": "0b0c6f5e-9d0a-4f7e-8a55-2f3f2d4b1c9a",
    "case_version": 9,
    "status": "pending",
    "attempts": 2,
    "created_at": "2026-11-28T10:15:00Z",
    "next_attempt_at": "2026-11-28T10:20:05Z",
    "delivered_at": None,
    "last_status_code": 503,
    "last_error": "HTTP 503",
}


class DeliveryRead(BaseModel):
    """One outbound message to one partner, and where its delivery stands."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    id: str = Field(description="The `webhook-id` header, the same on every attempt.")
    partner_id: str
    event_type: str
    case_id: str | None
    case_version: int | None
    status: DeliveryStatus = Field(
        description="pending (will be tried at next_attempt_at), delivered, dead (retries "
        "used up) or disabled (the endpoint answered 410 Gone)."
    )
    attempts: int = Field(description="Attempts made so far.")
    created_at: BeijingDateTime
    next_attempt_at: BeijingDateTime
    delivered_at: BeijingDateTime | None
    last_status_code: int | None
    last_error: str | None


class DeliveryAttemptRead(BaseModel):
    number: int
    started_at: BeijingDateTime
    duration_ms: int
    status_code: int | None
    outcome: str = Field(
        description="delivered, http_error, timeout, connection_error, blocked (private "
        "address), gone (410), disabled or no_endpoint."
    )
    error: str | None
    response_excerpt: str | None = Field(description="The start of the endpoint's answer.")


class DeliveryDetail(DeliveryRead):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_EXAMPLE,
                    "payload": {
                        "type": "case.decided",
                        "timestamp": "2026-11-28T10:15:00+00:00",
                        "data": {
                            "case_id": "0b0c6f5e-9d0a-4f7e-8a55-2f3f2d4b1c9a",
                            "case_number": "LC20261128-0001",
                            "case_version": 9,
                            "status": "decided",
                            "center_id": "dongchangfu",
                            "seq": 9,
                            "from": "under_review",
                            "to": "decided",
                            "liabilities": [
                                {
                                    "party": 0,
                                    "grade": "primary",
                                    "share_percent": 70,
                                    "label": "甲",
                                },
                                {
                                    "party": 1,
                                    "grade": "secondary",
                                    "share_percent": 30,
                                    "label": "乙",
                                },
                            ],
                            "agreement": None,
                            "insured_parties": [1],
                            "insured_policies": [
                                {
                                    "party": 1,
                                    "policy": "compulsory",
                                    "policy_number": "ASHZ202637150000067890",
                                }
                            ],
                        },
                    },
                    "attempt_log": [
                        {
                            "number": 1,
                            "started_at": "2026-11-28T18:15:00+08:00",
                            "duration_ms": 212,
                            "status_code": 503,
                            "outcome": "http_error",
                            "error": "HTTP 503",
                            "response_excerpt": "Service Unavailable",
                        }
                    ],
                }
            ]
        }
    )

    # Returned as sent (a message written before a field was added stays readable); the
    # document declares what webhooks.payloads says each type's body holds.
    payload: Annotated[
        dict[str, Any], WithJsonSchema({"type": "object", OUTBOUND_EVENT_MARK: True})
    ] = Field(description="The body sent: `{type, timestamp, data}`.")
    attempt_log: list[DeliveryAttemptRead] = Field(description="Every attempt, first first.")

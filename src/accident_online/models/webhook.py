"""The transactional outbox of partner webhooks, every delivery attempt, and inbound events."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from accident_online.kit.db import UTCDateTime, serial_primary_key
from accident_online.kit.time import utc_now


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    dead = "dead"
    # The endpoint answered 410 Gone: the partner's endpoint is disabled, nothing sent.
    disabled = "disabled"


class WebhookMessage(SQLModel, table=True):
    """One message to one partner; ``id`` is the ``webhook-id`` on every attempt."""

    __tablename__ = "webhook_messages"
    __table_args__ = (
        # The workers' scan: due pending messages, oldest due first.
        Index("ix_webhook_messages_due", "status", "next_attempt_at"),
        # GET /v1/deliveries: newest first.
        Index("ix_webhook_messages_created_at_id", "created_at", "id"),
    )

    id: str = Field(sa_column=Column(String(40), primary_key=True))
    partner_id: str = Field(
        sa_column=Column(String(64), ForeignKey("partners.id"), nullable=False, index=True)
    )
    event_type: str = Field(sa_column=Column(String(48), nullable=False))
    case_id: str | None = Field(default=None, sa_column=Column(String(36), index=True))
    case_version: int | None = Field(default=None)
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: DeliveryStatus = Field(
        default=DeliveryStatus.pending, sa_column=Column(String(16), nullable=False)
    )
    attempts: int = Field(default=0)
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )
    next_attempt_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )
    # A worker's lease on the message while it sends it; a crashed worker's lease lapses.
    locked_by: str | None = Field(default=None, sa_column=Column(String(64)))
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_status_code: int | None = Field(default=None, sa_column=Column(Integer))
    last_error: str | None = Field(default=None, sa_column=Column(String(500)))


class WebhookAttempt(SQLModel, table=True):
    __tablename__ = "webhook_attempts"

    id: int | None = Field(default=None, sa_column=serial_primary_key())
    message_id: str = Field(
        sa_column=Column(String(40), ForeignKey("webhook_messages.id"), nullable=False, index=True)
    )
    number: int
    worker: str = Field(sa_column=Column(String(64), nullable=False))
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    duration_ms: int
    status_code: int | None = Field(default=None, sa_column=Column(Integer))
    outcome: str = Field(sa_column=Column(String(24), nullable=False))
    error: str | None = Field(default=None, sa_column=Column(String(500)))
    response_excerpt: str | None = Field(default=None, sa_column=Column(String(1024)))


class InboundEvent(SQLModel, table=True):
    """A partner's webhook already applied; its ``webhook-id`` is never applied twice."""

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("partner_id", "webhook_id"),)

    id: int | None = Field(default=None, sa_column=serial_primary_key())
    partner_id: str = Field(sa_column=Column(String(64), ForeignKey("partners.id"), nullable=False))
    webhook_id: str = Field(sa_column=Column(String(128), nullable=False))
    type: str = Field(sa_column=Column(String(48), nullable=False))
    case_id: str | None = Field(default=None, sa_column=Column(String(36)))
    received_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )

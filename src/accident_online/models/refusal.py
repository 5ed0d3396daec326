"""Reports refused as not eligible: nothing of the report is kept but when, where, who
filed it and why, so that statistics can count the exclusions (DOMAIN.md "Eligibility")."""

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from accident_online.kit.db import UTCDateTime, serial_primary_key


class ReportRefusalReason(SQLModel, table=True):
    """One failed rule of one refused report; a report's rows share ``refusal_id``. A retry
    with the same Idempotency-Key counts once."""

    __tablename__ = "report_refusal_reasons"
    __table_args__ = (
        UniqueConstraint("partner_id", "idempotency_key", "reason"),
        Index("ix_report_refusal_reasons_refused_at", "refused_at"),
    )

    id: int | None = Field(default=None, sa_column=serial_primary_key())
    refusal_id: uuid.UUID
    partner_id: str = Field(sa_column=Column(String(64), ForeignKey("partners.id"), nullable=False))
    idempotency_key: str = Field(sa_column=Column(String(255), nullable=False))
    refused_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    district: str = Field(sa_column=Column(String(16), nullable=False))
    reason: str = Field(sa_column=Column(String(40), nullable=False))

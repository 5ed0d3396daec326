from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Integer, String
from sqlmodel import Field, SQLModel

from accident_online.kit.db import UTCDateTime
from accident_online.kit.time import utc_now


class PartnerKind(StrEnum):
    app = "app"
    insurer = "insurer"
    mediation = "mediation"
    court = "court"
    appraisal = "appraisal"
    arbitration = "arbitration"


class Partner(SQLModel, table=True):
    """A partner system: the mobile app backend, an insurer, mediation or the court."""

    __tablename__ = "partners"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    kind: PartnerKind = Field(sa_column=Column(String(16), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    webhook_url: str | None = Field(default=None, sa_column=Column(String(2048)))
    client_secret_hash: str = Field(sa_column=Column(String(255), nullable=False))
    # The HMAC key itself: outbound signatures need it, so it is kept, never shown again.
    webhook_secret: str = Field(sa_column=Column(String(128), nullable=False))
    # After a rotation the old key signs (and verifies) too, until it expires.
    previous_webhook_secret: str | None = Field(default=None, sa_column=Column(String(128)))
    previous_secret_expires_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime())
    )
    # Set when the endpoint answered 410 Gone; nothing is sent until an admin re-enables it.
    webhook_disabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )
    # A disabled partner cannot sign in, and its tokens stop working.
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # In every token; raised on disable and client-secret rotation so older tokens stop working.
    token_version: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )


class InsurerCode(SQLModel, table=True):
    """The insurer codes drivers give in reports, each belonging to one insurer partner."""

    __tablename__ = "insurer_codes"

    code: str = Field(sa_column=Column(String(32), primary_key=True))
    partner_id: str = Field(foreign_key="partners.id", index=True, max_length=64)

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Integer, String
from sqlmodel import Field, SQLModel

from accident_online.kit.db import UTCDateTime
from accident_online.kit.time import utc_now


class Role(StrEnum):
    """Every kind of caller: people sign in with a password, partner systems as clients."""

    admin = "admin"
    officer = "officer"
    app = "app"
    insurer = "insurer"
    mediation = "mediation"
    court = "court"
    appraisal = "appraisal"
    arbitration = "arbitration"
    # The city-level traffic police authority that reviews determinations (复核); no center.
    reviewer = "reviewer"


class UserRole(StrEnum):
    admin = "admin"
    officer = "officer"
    reviewer = "reviewer"


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # Stored in lower case (sign-in folds case too), so the unique index is case-blind.
    username: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    password_hash: str = Field(sa_column=Column(String(255), nullable=False))
    role: UserRole = Field(sa_column=Column(String(16), nullable=False))
    center_id: str | None = Field(default=None, foreign_key="centers.id", max_length=32)
    # What people read on documents and screens: the name (王建国) and the police badge
    # number (警号); the username stays the sign-in name.
    display_name: str | None = Field(default=None, sa_column=Column(String(64)))
    badge_number: str | None = Field(default=None, sa_column=Column(String(16)))
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )
    # A disabled account cannot sign in, and its tokens stop working.
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # In every token; raised on disable (and secret rotation) so older tokens stop working.
    token_version: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String
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


class UserRole(StrEnum):
    admin = "admin"
    officer = "officer"


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
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


class SignInThrottle(SQLModel, table=True):
    """Consecutive failed sign-ins per username or client id, known or not.

    Keyed by the name tried rather than by account, so that a lockout answers the same
    whether or not the account exists.
    """

    __tablename__ = "sign_in_throttles"

    subject: str = Field(sa_column=Column(String(160), primary_key=True))
    failures: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

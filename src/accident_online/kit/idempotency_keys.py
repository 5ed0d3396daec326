"""The table of Idempotency-Keys (kit/idempotency.py): a client's key and its first response."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Integer, String, Text
from sqlmodel import Field, SQLModel

from accident_online.kit.db import UTCDateTime


class IdempotencyKey(SQLModel, table=True):
    """A client's Idempotency-Key and the first response given for it, kept 24 h."""

    __tablename__ = "idempotency_keys"

    client: str = Field(sa_column=Column(String(160), primary_key=True))
    key: str = Field(sa_column=Column(String(255), primary_key=True))
    method: str = Field(sa_column=Column(String(8), nullable=False))
    path: str = Field(sa_column=Column(String(255), nullable=False))
    request_hash: str = Field(sa_column=Column(String(64), nullable=False))
    # Null while the first request runs; a crashed request's lock expires (locked_until).
    response_status: int | None = Field(default=None, sa_column=Column(Integer))
    response_body: str | None = Field(default=None, sa_column=Column(Text))
    response_headers: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    locked_until: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from accident_online.kit.fields import Name
from accident_online.models.user import UserRole


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(description="Seconds until the token expires.")


class UserCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "officer.wang",
                    "password": "correct-horse-battery-staple",
                    "role": "officer",
                    "center_id": "dongchangfu",
                }
            ],
            # The rule of _officers_belong_to_a_center, for clients and generators to see.
            "if": {"properties": {"role": {"const": "officer"}}, "required": ["role"]},
            "then": {"required": ["center_id"], "properties": {"center_id": {"type": "string"}}},
            "else": {"properties": {"center_id": {"type": "null"}}},
        }
    )

    username: Name = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    password: Name = Field(min_length=12, max_length=128)
    role: UserRole
    center_id: Name | None = Field(
        default=None, max_length=32, description="Required for an officer; none for an admin."
    )

    @model_validator(mode="after")
    def _officers_belong_to_a_center(self) -> UserCreate:
        if self.role == UserRole.officer and self.center_id is None:
            raise ValueError("an officer needs a center_id")
        if self.role == UserRole.admin and self.center_id is not None:
            raise ValueError("an admin belongs to no center; leave center_id out")
        return self


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    role: UserRole
    center_id: str | None
    created_at: datetime

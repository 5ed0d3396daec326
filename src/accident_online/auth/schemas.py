from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from accident_online.kit.fields import NOT_BLANK, Name
from accident_online.kit.time import BeijingDateTime
from accident_online.models.user import UserRole

DisplayName = Annotated[
    Name,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=NOT_BLANK),
]
# 警号: digits, sometimes with letters; no spaces or punctuation to print on a document.
BadgeNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z]{1,16}$")
]


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
                    "display_name": "王建国",
                    "badge_number": "012345",
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
    display_name: DisplayName | None = Field(
        default=None,
        description="The name people read on documents and case records (e.g. 王建国); "
        "without it they read the username.",
    )
    badge_number: BadgeNumber | None = Field(
        default=None, description="The officer's police badge number (警号), e.g. 012345."
    )

    @field_validator("username")
    @classmethod
    def _lower_case(cls, value: str) -> str:
        # Usernames are case-insensitive: "Officer.Wang" and "officer.wang" are one name.
        return value.lower()

    @model_validator(mode="after")
    def _officers_belong_to_a_center(self) -> UserCreate:
        if self.role == UserRole.officer and self.center_id is None:
            raise ValueError("an officer needs a center_id")
        if self.role == UserRole.admin and self.center_id is not None:
            raise ValueError("an admin belongs to no center; leave center_id out")
        if self.role == UserRole.reviewer and self.center_id is not None:
            raise ValueError("a reviewer works for the city, at no center; leave center_id out")
        return self


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    role: UserRole
    center_id: str | None
    display_name: str | None
    badge_number: str | None
    created_at: BeijingDateTime
    disabled_at: BeijingDateTime | None = Field(
        default=None, description="Set while the account is disabled: no sign-in, no tokens."
    )

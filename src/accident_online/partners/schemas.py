from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
    model_validator,
)

from accident_online.kit.fields import NAME_PATTERN, InsurerCodeStr, Name
from accident_online.kit.time import BeijingDateTime
from accident_online.models.partner import PartnerKind


class PartnerCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "picc-liaocheng",
                    "kind": "insurer",
                    "name": "中国人民财产保险 聊城市分公司",
                    "webhook_url": "https://claims.picc.example/hooks/accident-online",
                    "insurer_codes": ["PICC"],
                }
            ]
        }
    )

    id: Name = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: PartnerKind
    name: Name = Field(min_length=1, max_length=200)
    webhook_url: AnyHttpUrl | None = Field(default=None)
    insurer_codes: list[InsurerCodeStr] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _codes_only_for_insurers(self) -> PartnerCreate:
        if self.kind != PartnerKind.insurer and self.insurer_codes:
            raise ValueError("only insurer partners have insurer_codes")
        if len(set(self.insurer_codes)) != len(self.insurer_codes):
            raise ValueError("insurer_codes has duplicates")
        if self.webhook_url is not None and len(str(self.webhook_url)) > 2048:
            raise ValueError("webhook_url is longer than 2048 characters")
        return self


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class PartnerUpdate(BaseModel):
    """Only the fields sent change; `webhook_url: null` removes the endpoint."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "webhook_url": "https://claims.picc.example/hooks/accident-online/v2",
                    "webhook_enabled": True,
                }
            ]
        },
    )

    # May be left out but not removed, so the document shows no null (nor a null default).
    name: Annotated[
        Name | None,
        WithJsonSchema(
            {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NAME_PATTERN}
        ),
    ] = Field(default=None, min_length=1, max_length=200, json_schema_extra=_no_default)
    webhook_url: AnyHttpUrl | None = Field(default=None)
    webhook_enabled: StrictBool | None = Field(
        default=None,
        description="true re-enables an endpoint disabled after a 410 Gone; false pauses it.",
    )

    @model_validator(mode="after")
    def _check(self) -> PartnerUpdate:
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name cannot be removed")
        if self.webhook_url is not None and len(str(self.webhook_url)) > 2048:
            raise ValueError("webhook_url is longer than 2048 characters")
        return self


class PartnerRead(BaseModel):
    id: str
    kind: PartnerKind
    name: str
    webhook_url: str | None
    webhook_disabled_at: BeijingDateTime | None = Field(
        description="Set when the endpoint answered 410 Gone (or an admin paused it): "
        "nothing is sent until it is re-enabled."
    )
    insurer_codes: list[str]
    created_at: BeijingDateTime
    disabled_at: BeijingDateTime | None = Field(
        default=None,
        description="Set while the partner is disabled: it cannot sign in and its tokens "
        "do not work.",
    )


class PartnerCreated(PartnerRead):
    """Shown once: the secrets are not kept in a form that can be shown again."""

    client_id: str
    client_secret: str
    webhook_secret: str = Field(description="Standard Webhooks key, `whsec_` + base64.")


class SecretRotated(BaseModel):
    """Shown once. The previous secret still signs and verifies until it expires."""

    partner_id: str
    webhook_secret: str = Field(description="The new Standard Webhooks key, `whsec_` + base64.")
    previous_secret_expires_at: BeijingDateTime


class ClientSecretRotated(BaseModel):
    """Shown once. The previous client secret stops working at once, and so do the tokens
    issued with it (within a few seconds on every API process)."""

    partner_id: str
    client_id: str
    client_secret: str

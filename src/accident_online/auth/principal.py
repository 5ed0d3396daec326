from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accident_online.models.user import Role


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a person (officer, admin) or a partner system."""

    subject: str
    role: Role
    center_id: str | None = None
    partner_id: str | None = None
    # The account's token_version when the token was issued; a newer one revokes it.
    token_version: int = 0

    @property
    def is_partner(self) -> bool:
        return self.partner_id is not None

    def to_claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "sub": self.subject,
            "role": self.role.value,
            "ver": self.token_version,
        }
        if self.center_id is not None:
            claims["center"] = self.center_id
        if self.partner_id is not None:
            claims["partner"] = self.partner_id
        return claims

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        return cls(
            subject=str(claims["sub"]),
            role=Role(claims["role"]),
            center_id=claims.get("center"),
            partner_id=claims.get("partner"),
            token_version=int(claims.get("ver", 0)),
        )

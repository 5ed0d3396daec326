"""Every table, one module per aggregate; importing this package registers them all."""

from sqlmodel import SQLModel

from accident_online.kit.db import NAMING_CONVENTION

SQLModel.metadata.naming_convention = NAMING_CONVENTION

from accident_online.models.case import (  # noqa: E402
    Case,
    CaseEvent,
    CaseNumberCounter,
    CaseParty,
    CaseResponse,
    CaseStatus,
    Evidence,
)
from accident_online.models.center import Center  # noqa: E402
from accident_online.models.idempotency import IdempotencyKey  # noqa: E402
from accident_online.models.partner import InsurerCode, Partner, PartnerKind  # noqa: E402
from accident_online.models.user import Role, User, UserRole  # noqa: E402
from accident_online.models.webhook import (  # noqa: E402
    DeliveryStatus,
    InboundEvent,
    WebhookAttempt,
    WebhookMessage,
)

__all__ = [
    "Case",
    "CaseEvent",
    "CaseNumberCounter",
    "CaseParty",
    "CaseResponse",
    "CaseStatus",
    "Center",
    "DeliveryStatus",
    "Evidence",
    "IdempotencyKey",
    "InboundEvent",
    "InsurerCode",
    "Partner",
    "PartnerKind",
    "Role",
    "User",
    "UserRole",
    "WebhookAttempt",
    "WebhookMessage",
]

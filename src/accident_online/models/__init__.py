"""Every table, one module per aggregate; importing this package registers them all.

The idempotency keys' table is plumbing and lives in kit (kit/idempotency_keys.py);
it is imported here so that migrations see it too.
"""

from accident_online.kit.idempotency_keys import IdempotencyKey
from accident_online.models.case import (
    Case,
    CaseEvent,
    CaseNumberCounter,
    CaseParty,
    CaseResponse,
    CaseStatus,
    Evidence,
)
from accident_online.models.center import Center
from accident_online.models.dispute import (
    Appraisal,
    ArbitrationAgreement,
    ClaimLine,
    Compensation,
)
from accident_online.models.partner import InsurerCode, Partner, PartnerKind
from accident_online.models.refusal import ReportRefusalReason
from accident_online.models.user import Role, User, UserRole
from accident_online.models.webhook import (
    DeliveryStatus,
    InboundEvent,
    WebhookAttempt,
    WebhookMessage,
)

__all__ = [
    "Appraisal",
    "ArbitrationAgreement",
    "Case",
    "CaseEvent",
    "CaseNumberCounter",
    "CaseParty",
    "CaseResponse",
    "CaseStatus",
    "Center",
    "ClaimLine",
    "Compensation",
    "DeliveryStatus",
    "Evidence",
    "IdempotencyKey",
    "InboundEvent",
    "InsurerCode",
    "Partner",
    "PartnerKind",
    "ReportRefusalReason",
    "Role",
    "User",
    "UserRole",
    "WebhookAttempt",
    "WebhookMessage",
]

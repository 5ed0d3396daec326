"""When an insurer must pay, and how long a party may object to an appraisal: pure rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from accident_online.settings import Settings

# 《中华人民共和国保险法》第二十三条第一款: the insurer "shall perform its obligation to
# indemnify ... within ten days of reaching an agreement ... on the amount".
PAYMENT_DEADLINE_SOURCE = (
    "《中华人民共和国保险法》第二十三条：对属于保险责任的，在与被保险人或者受益人达成赔偿"
    "或者给付保险金的协议后十日内，履行赔偿或者给付保险金义务"
)
# Local practice of the court-led platform (DOMAIN.md "Compensation disputes"): about 5 days.
OBJECTION_WINDOW_SOURCE = "道交纠纷网上数据一体化处理：鉴定意见送达后当事人可在期限内提出异议"


@dataclass(frozen=True, slots=True)
class ClaimRules:
    """The deadlines, from settings (claim_payment_days, appraisal_objection_days)."""

    payment_days: int = 10
    objection_days: int = 5


def payment_due(requested_at: datetime, rules: ClaimRules) -> datetime:
    """The claim is due ``payment_days`` after the compensation was settled and requested."""
    return requested_at + timedelta(days=rules.payment_days)


def objection_deadline(completed_at: datetime, rules: ClaimRules) -> datetime:
    return completed_at + timedelta(days=rules.objection_days)


def is_overdue(*, due_at: datetime, paid: bool, now: datetime) -> bool:
    return not paid and due_at < now


def rules_from(settings: Settings) -> ClaimRules:
    return ClaimRules(
        payment_days=settings.claim_payment_days,
        objection_days=settings.appraisal_objection_days,
    )

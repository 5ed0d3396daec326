"""Which mediation organisation, court or arbitration commission a disputed case goes to.

One organisation per case, stored on it: it alone sees the case (cases.access),
receives its request (webhooks.outbox) and may send events about it (inbound events go
through the same visibility). The choice: the partner of that kind registered first
(by created_at, then id), which is the only one where, as today, a city connects one
mediation committee and one court. A case that found none (nobody registered yet) is
seen by admins only.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.models.case import Case
from accident_online.models.partner import Partner, PartnerKind


async def _first_of_kind(session: AsyncSession, kind: PartnerKind) -> str | None:
    return (
        await session.exec(
            select(Partner.id)
            .where(Partner.kind == kind)
            .order_by(col(Partner.created_at), col(Partner.id))
            .limit(1)
        )
    ).first()


async def assign_mediation(session: AsyncSession, case: Case) -> None:
    case.mediation_partner_id = await _first_of_kind(session, PartnerKind.mediation)


async def assign_court(session: AsyncSession, case: Case) -> None:
    case.court_partner_id = await _first_of_kind(session, PartnerKind.court)


async def assign_arbitration(session: AsyncSession, case: Case) -> None:
    case.arbitration_partner_id = await _first_of_kind(session, PartnerKind.arbitration)


async def ensure_court(session: AsyncSession, case: Case) -> None:
    """The case's court, chosen once (a confirmation request, then a lawsuit, go to one)."""
    if case.court_partner_id is None:
        await assign_court(session, case)

"""Time-driven claim work: claims of accepted cases whose figures are all in, and the
claims that passed their due date (claim.overdue)."""

from __future__ import annotations

from sqlalchemy import exists
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.cases.service import SYSTEM_ACTOR
from accident_online.claims.rules import ClaimRules
from accident_online.claims.service import announce_overdue_claims
from accident_online.disputes.compensation import settle_accepted_case
from accident_online.kit.db import Database
from accident_online.kit.time import utc_now
from accident_online.models.case import Case, CaseStatus
from accident_online.models.dispute import Compensation


async def settle_accepted_cases(
    session: AsyncSession, *, rules: ClaimRules, limit: int = 100
) -> int:
    """Accepted cases with no claims yet: settled once every loss is assessed (a case
    whose insurers assessed before the parties accepted has no event to trigger it)."""
    settled = exists().where(
        col(Compensation.case_id) == col(Case.id), col(Compensation.withdrawn).is_(False)
    )
    cases = (
        await session.exec(
            select(Case)
            .where(Case.status == CaseStatus.accepted, ~settled)
            .order_by(col(Case.decided_at), col(Case.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    count = 0
    for case in cases:
        if await settle_accepted_case(session, case, actor=SYSTEM_ACTOR, rules=rules):
            count += 1
    return count


async def run_claim_deadlines(database: Database, rules: ClaimRules) -> int:
    """One pass; each kind of change in its own short transaction."""
    async with database.session(write=True) as session:
        opened = await settle_accepted_cases(session, rules=rules)
    async with database.session(write=True) as session:
        overdue = await announce_overdue_claims(session, now=utc_now())
    return opened + overdue

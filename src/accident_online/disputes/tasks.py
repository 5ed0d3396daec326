"""Time-driven claim work: claims of accepted cases whose figures are all in, and the
claims that passed their due date (claim.overdue)."""

from __future__ import annotations

from sqlalchemy import exists
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.cases.service import SYSTEM_ACTOR
from accident_online.claims.rules import ClaimRules
from accident_online.claims.service import announce_overdue_claims_batch
from accident_online.disputes.compensation import settle_accepted_case
from accident_online.kit.db import Database
from accident_online.kit.pagination import after_key
from accident_online.kit.sweeps import MAX_BATCHES, SWEEP_BATCH, Batch, SweepKey, sweep
from accident_online.kit.time import utc_now
from accident_online.models.case import Case, CaseStatus
from accident_online.models.dispute import Compensation


async def settle_accepted_cases(
    session: AsyncSession, *, rules: ClaimRules, limit: int = SWEEP_BATCH
) -> int:
    """Accepted cases with no claims yet (one batch): settled once every loss is assessed (a
    case whose insurers assessed before the parties accepted has no event to trigger it)."""
    return (await settle_accepted_cases_batch(session, rules=rules, limit=limit)).changed


async def settle_accepted_cases_batch(
    session: AsyncSession, *, rules: ClaimRules, limit: int, after: SweepKey | None = None
) -> Batch:
    """One batch of settle_accepted_cases, after ``after`` (kit.sweeps): a case whose
    losses are not all assessed yet stays behind the cursor, not in the next batch's way."""
    settled = exists().where(
        col(Compensation.case_id) == col(Case.id), col(Compensation.withdrawn).is_(False)
    )
    query = select(Case).where(Case.status == CaseStatus.accepted, ~settled)
    if after is not None:
        query = query.where(after_key(col(Case.decided_at), col(Case.id), after))
    cases = (
        await session.exec(
            query.order_by(col(Case.decided_at), col(Case.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    last = None
    if cases:
        decided = cases[-1].decided_at
        assert decided is not None
        last = (decided, cases[-1].id)
    count = 0
    for case in cases:
        if await settle_accepted_case(session, case, actor=SYSTEM_ACTOR, rules=rules):
            count += 1
    return Batch(changed=count, taken=len(cases), last=last)


async def run_claim_deadlines(
    database: Database,
    rules: ClaimRules,
    *,
    batch: int = SWEEP_BATCH,
    max_batches: int = MAX_BATCHES,
) -> int:
    """One pass; each kind of change in batches of ``batch``, each batch its own short
    transaction, until none is due (at most ``max_batches`` batches a kind)."""
    now = utc_now()
    opened = await sweep(
        database,
        lambda session, after: settle_accepted_cases_batch(
            session, rules=rules, limit=batch, after=after
        ),
        limit=batch,
        max_batches=max_batches,
    )
    overdue = await sweep(
        database,
        lambda session, after: announce_overdue_claims_batch(
            session, now=now, limit=batch, after=after
        ),
        limit=batch,
        max_batches=max_batches,
    )
    return opened + overdue

"""Leases that ran out: the sweep that returns their cases to the queue (housekeeping)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.cases.service import SYSTEM_ACTOR, transition
from accident_online.decisions import repository
from accident_online.decisions.service import release_officer
from accident_online.kit.sweeps import SWEEP_BATCH, Batch, SweepKey
from accident_online.models.case import CaseStatus


async def release_expired_leases(
    session: AsyncSession, *, now: datetime, limit: int = SWEEP_BATCH
) -> int:
    """Returns to the queue the cases (one batch) whose officer's lease ran out."""
    return (await release_expired_leases_batch(session, now=now, limit=limit)).changed


async def release_expired_leases_batch(
    session: AsyncSession, *, now: datetime, limit: int, after: SweepKey | None = None
) -> Batch:
    """One batch of release_expired_leases, after ``after`` (kit.sweeps)."""
    cases = await repository.cases_with_expired_leases(session, now=now, limit=limit, after=after)
    last = None
    if cases:
        expires = cases[-1].claim_expires_at
        assert expires is not None
        last = (expires, cases[-1].id)
    count = 0
    for case in cases:
        officer = case.assigned_officer_id
        release_officer(case)
        await transition(
            session,
            case,
            CaseStatus.queued,
            actor=SYSTEM_ACTOR,
            event_type="case.claim_expired",
            data={"officer_id": str(officer) if officer else None},
        )
        count += 1
    return Batch(changed=count, taken=len(cases), last=last)

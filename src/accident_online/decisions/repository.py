"""The officers' queries on cases: the conditional claim and the time-driven sweeps."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.pagination import after_key
from accident_online.kit.sweeps import SWEEP_BATCH, SweepKey
from accident_online.models.case import Case, CaseStatus


async def lease_if_unchanged(
    session: AsyncSession, case: Case, *, officer: uuid.UUID, until: datetime
) -> bool:
    """Puts ``case`` under ``officer``'s review if it is still at the version read."""
    result = await session.exec(
        update(Case)
        .where(col(Case.id) == case.id, col(Case.version) == case.version)
        .values(status=CaseStatus.under_review, assigned_officer_id=officer, claim_expires_at=until)
    )
    return bool(result.rowcount == 1)


async def cases_with_expired_leases(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int = SWEEP_BATCH,
    after: SweepKey | None = None,
) -> Sequence[Case]:
    """Cases under review whose lease ran out, the longest expired first, locked; those
    another sweep holds are skipped, so two processes never move one case twice."""
    expires = col(Case.claim_expires_at)
    query = select(Case).where(Case.status == CaseStatus.under_review, expires <= now)
    if after is not None:
        query = query.where(after_key(expires, col(Case.id), after))
    result = await session.exec(
        query.order_by(expires, col(Case.id)).with_for_update(skip_locked=True).limit(limit)
    )
    return result.all()

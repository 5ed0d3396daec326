"""The officers' queries on cases: the conditional claim and the time-driven sweeps."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.models.case import Case, CaseStatus

# Each sweep takes at most this many cases per transaction, so that one pass never holds
# many rows locked; the next pass takes the rest.
SWEEP_BATCH = 100


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


async def cases_with_expired_leases(session: AsyncSession, *, now: datetime) -> Sequence[Case]:
    return await _due(session, CaseStatus.under_review, col(Case.claim_expires_at) <= now)


async def _due(
    session: AsyncSession, status: CaseStatus, passed: ColumnElement[bool]
) -> Sequence[Case]:
    """Cases in ``status`` whose time ``passed``, locked; those another sweep holds are
    skipped, so two processes never move one case twice."""
    result = await session.exec(
        select(Case)
        .where(Case.status == status, passed)
        .with_for_update(skip_locked=True)
        .limit(SWEEP_BATCH)
    )
    return result.all()

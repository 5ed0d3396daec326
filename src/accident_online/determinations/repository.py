"""The time-driven sweeps of the determination's life: the queries, locked, in batches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.models.case import Case, CaseStatus

# As decisions.repository's sweeps: at most this many cases per transaction.
SWEEP_BATCH = 100


async def unconfirmed_candidates(
    session: AsyncSession, *, reported_before: datetime
) -> Sequence[Case]:
    """Cases still waiting (for photos or confirmations) that were reported long ago."""
    query = (
        select(Case)
        .where(
            Case.status == CaseStatus.awaiting_evidence,
            col(Case.reported_at) <= reported_before,
        )
        .with_for_update(skip_locked=True)
        .limit(SWEEP_BATCH)
    )
    return (await session.exec(query)).all()


async def delivered_decisions(
    session: AsyncSession, *, received_before: datetime
) -> Sequence[Case]:
    """Decided cases whose decision reached someone: their windows may have lapsed.

    ``decided_at`` bounds the search: no window of a decision made after
    ``received_before`` can have closed.
    """
    query = (
        select(Case)
        .where(Case.status == CaseStatus.decided, col(Case.decided_at) <= received_before)
        .order_by(col(Case.decided_at), col(Case.id))
        .with_for_update(skip_locked=True)
        .limit(SWEEP_BATCH)
    )
    return (await session.exec(query)).all()

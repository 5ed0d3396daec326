"""The time-driven sweeps of the determination's life: the queries, locked, in batches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.pagination import after_key
from accident_online.kit.sweeps import SWEEP_BATCH, SweepKey
from accident_online.models.case import Case, CaseParty, CaseStatus


def _party_count() -> ColumnElement[int]:
    return (
        select(func.count())
        .select_from(CaseParty)
        .where(col(CaseParty.case_id) == col(Case.id))
        .scalar_subquery()
    )


async def unconfirmed_candidates(
    session: AsyncSession,
    *,
    reported_before: datetime,
    limit: int = SWEEP_BATCH,
    after: SweepKey | None = None,
) -> Sequence[Case]:
    """Cases still waiting that were reported long ago and that some party has not
    confirmed (each party confirms once, so fewer confirmations than parties), oldest
    first: a case waiting for photos alone is not taken, so it cannot hold up the rest."""
    query = select(Case).where(
        Case.status == CaseStatus.awaiting_evidence,
        col(Case.reported_at) <= reported_before,
        func.json_array_length(col(Case.confirmations)) < _party_count(),
    )
    if after is not None:
        query = query.where(after_key(col(Case.reported_at), col(Case.id), after))
    query = (
        query.order_by(col(Case.reported_at), col(Case.id))
        .with_for_update(skip_locked=True)
        .limit(limit)
    )
    return (await session.exec(query)).all()


async def delivered_decisions(
    session: AsyncSession,
    *,
    received_before: datetime,
    limit: int = SWEEP_BATCH,
    after: SweepKey | None = None,
) -> Sequence[Case]:
    """Decided cases whose decision reached every party: their windows may have lapsed.

    ``decided_at`` bounds the search: no window of a decision made after
    ``received_before`` can have closed. One not delivered to every party is not taken.
    """
    query = select(Case).where(
        Case.status == CaseStatus.decided,
        col(Case.decided_at) <= received_before,
        func.json_array_length(col(Case.receipts)) >= _party_count(),
    )
    if after is not None:
        query = query.where(after_key(col(Case.decided_at), col(Case.id), after))
    query = (
        query.order_by(col(Case.decided_at), col(Case.id))
        .with_for_update(skip_locked=True)
        .limit(limit)
    )
    return (await session.exec(query)).all()

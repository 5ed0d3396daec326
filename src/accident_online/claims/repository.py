"""The claim lines' SQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.cases.timeline_disputes import ClaimPaidOnLinesEntryData
from accident_online.kit.pagination import after_key
from accident_online.models.case import CaseEvent
from accident_online.models.dispute import ClaimLine, ClaimStatus, Compensation


async def lines_of(session: AsyncSession, case_id: uuid.UUID) -> list[ClaimLine]:
    rows = await session.exec(
        select(ClaimLine)
        .where(ClaimLine.case_id == case_id)
        .order_by(col(ClaimLine.requested_at), col(ClaimLine.id))
    )
    return list(rows)


async def attested_references(session: AsyncSession, line: ClaimLine) -> set[str]:
    """The references of the payments attested for this line (its `claim.paid` events)."""
    rows = await session.exec(
        select(CaseEvent.data).where(
            CaseEvent.case_id == line.case_id, CaseEvent.type == "claim.paid"
        )
    )
    payments = [ClaimPaidOnLinesEntryData.model_validate(data) for data in rows]
    return {p.reference for p in payments if p.claim_id == line.id and p.reference is not None}


async def current_compensation(session: AsyncSession, case_id: uuid.UUID) -> Compensation | None:
    """The compensation in force: the latest one not withdrawn."""
    return (
        await session.exec(
            select(Compensation)
            .where(Compensation.case_id == case_id, col(Compensation.withdrawn).is_(False))
            .order_by(col(Compensation.settled_at).desc())
            .limit(1)
        )
    ).first()


def _overdue(now: datetime) -> ColumnElement[bool]:
    return (col(ClaimLine.status) == ClaimStatus.open) & (col(ClaimLine.due_at) < now)


async def list_lines(
    session: AsyncSession,
    *,
    visible: ColumnElement[bool],
    overdue: bool | None,
    now: datetime,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[ClaimLine]:
    """Oldest due first, keyset-paged on (due_at, id)."""
    query = select(ClaimLine).where(visible)
    if overdue is True:
        query = query.where(_overdue(now))
    elif overdue is False:
        query = query.where(~_overdue(now))
    if after is not None:
        query = query.where(after_key(col(ClaimLine.due_at), col(ClaimLine.id), after))
    query = query.order_by(col(ClaimLine.due_at), col(ClaimLine.id)).limit(limit)
    return (await session.exec(query)).all()


async def newly_overdue(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> Sequence[ClaimLine]:
    query = select(ClaimLine).where(_overdue(now), col(ClaimLine.overdue_at).is_(None))
    if after is not None:
        query = query.where(after_key(col(ClaimLine.due_at), col(ClaimLine.id), after))
    return (
        await session.exec(
            query.order_by(col(ClaimLine.due_at), col(ClaimLine.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()


async def overdue_by_insurer(session: AsyncSession, *, now: datetime) -> dict[str, int]:
    rows = await session.exec(
        select(col(ClaimLine.insurer_code), func.count())
        .where(_overdue(now))
        .group_by(col(ClaimLine.insurer_code))
    )
    return {str(code): int(count) for code, count in rows}


async def lines_by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.exec(
        select(col(ClaimLine.status), func.count()).group_by(col(ClaimLine.status))
    )
    return {str(status): int(count) for status, count in rows}


def visible_claims(case_ids: Any) -> ColumnElement[bool]:
    """Claim lines of the cases a subquery selects."""
    return col(ClaimLine.case_id).in_(case_ids)

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.db import upsert_increment
from accident_online.models.case import (
    Case,
    CaseEvent,
    CaseNumberCounter,
    CaseParty,
    CaseResponse,
    CaseStatus,
    Evidence,
)


async def get_case(
    session: AsyncSession, case_id: uuid.UUID, *, for_update: bool = False
) -> Case | None:
    query = select(Case).where(Case.id == case_id)
    if for_update:
        # PostgreSQL: writers to one case queue up; SQLite's write transaction already does.
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def parties_of(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CaseParty]]:
    result: dict[uuid.UUID, list[CaseParty]] = {case_id: [] for case_id in case_ids}
    if not case_ids:
        return result
    rows = await session.exec(
        select(CaseParty)
        .where(col(CaseParty.case_id).in_(case_ids))
        .order_by(col(CaseParty.case_id), col(CaseParty.index))
    )
    for party in rows:
        result[party.case_id].append(party)
    return result


async def evidence_of(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Evidence]]:
    result: dict[uuid.UUID, list[Evidence]] = {case_id: [] for case_id in case_ids}
    if not case_ids:
        return result
    rows = await session.exec(
        select(Evidence)
        .where(col(Evidence.case_id).in_(case_ids))
        .order_by(col(Evidence.uploaded_at), col(Evidence.id))
    )
    for evidence in rows:
        result[evidence.case_id].append(evidence)
    return result


async def responses_of(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CaseResponse]]:
    result: dict[uuid.UUID, list[CaseResponse]] = {case_id: [] for case_id in case_ids}
    if not case_ids:
        return result
    rows = await session.exec(
        select(CaseResponse)
        .where(col(CaseResponse.case_id).in_(case_ids))
        .order_by(col(CaseResponse.party))
    )
    for response in rows:
        result[response.case_id].append(response)
    return result


async def next_case_number(session: AsyncSession, day: str) -> int:
    table: Table = CaseNumberCounter.__table__  # type: ignore[attr-defined]
    return await upsert_increment(session, table, key={"day": day}, column="last")


async def add_event(session: AsyncSession, event: CaseEvent) -> None:
    session.add(event)


async def list_events(
    session: AsyncSession, case_id: uuid.UUID, *, after_seq: int, limit: int
) -> Sequence[CaseEvent]:
    return (
        await session.exec(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id, col(CaseEvent.seq) > after_seq)
            .order_by(col(CaseEvent.seq))
            .limit(limit)
        )
    ).all()


async def queue_depths(session: AsyncSession) -> dict[str, int]:
    rows = await session.exec(
        select(Case.center_id, func.count())
        .where(Case.status == CaseStatus.queued)
        .group_by(Case.center_id)
    )
    return dict(rows.all())


async def list_cases(
    session: AsyncSession,
    *,
    visibility: Any,
    status: CaseStatus | None,
    center_id: str | None,
    plate: str | None,
    since: datetime | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Case]:
    """Newest first; ``visibility`` is the caller's where-clause (see cases.access)."""
    query = select(Case).where(visibility)
    if status is not None:
        query = query.where(Case.status == status)
    if center_id is not None:
        query = query.where(Case.center_id == center_id)
    if since is not None:
        query = query.where(col(Case.reported_at) >= since)
    if plate is not None:
        query = query.where(
            col(Case.id).in_(select(CaseParty.case_id).where(CaseParty.plate == plate))
        )
    if before is not None:
        reported_at, case_id = before
        query = query.where(
            or_(
                col(Case.reported_at) < reported_at,
                (col(Case.reported_at) == reported_at) & (col(Case.id) < case_id),
            )
        )
    query = query.order_by(col(Case.reported_at).desc(), col(Case.id).desc()).limit(limit)
    return (await session.exec(query)).all()


async def queued_cases(
    session: AsyncSession,
    center_id: str,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Case]:
    """A center's queue, oldest first (index ix_cases_center_status_queued)."""
    query = select(Case).where(Case.center_id == center_id, Case.status == CaseStatus.queued)
    if after is not None:
        queued_at, case_id = after
        query = query.where(
            or_(
                col(Case.queued_at) > queued_at,
                (col(Case.queued_at) == queued_at) & (col(Case.id) > case_id),
            )
        )
    query = query.order_by(col(Case.queued_at), col(Case.id)).limit(limit)
    return (await session.exec(query)).all()

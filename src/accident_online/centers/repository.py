from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Table, func
from sqlalchemy import select as sql_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.models.case import Case, CaseStatus
from accident_online.models.center import Center


async def get_center(session: AsyncSession, center_id: str) -> Center | None:
    return await session.get(Center, center_id)


async def list_centers(session: AsyncSession) -> Sequence[Center]:
    return (await session.exec(select(Center).order_by(col(Center.id)))).all()


async def add_center(session: AsyncSession, center: Center) -> None:
    session.add(center)
    await session.flush()


def _centers_for_routing_query() -> Any:
    cases: Table = Case.__table__  # type: ignore[attr-defined]
    centers: Table = Center.__table__  # type: ignore[attr-defined]
    queue_depth = (
        sql_select(func.count())
        .select_from(cases)
        .where(cases.c.center_id == centers.c.id, cases.c.status == CaseStatus.queued.value)
        .scalar_subquery()
    )
    return sql_select(
        centers.c.id,
        centers.c.districts,
        centers.c.online,
        centers.c.capacity,
        centers.c.hours,
        queue_depth.label("queue_depth"),
    ).order_by(centers.c.id)


# Built once: the intake runs it for every report. The depth is counted on the queue's
# index (ix_cases_center_status_queued), so it stays cheap however many cases are stored.
_CENTERS_FOR_ROUTING = _centers_for_routing_query()


async def centers_for_routing(session: AsyncSession) -> Sequence[Row[Any]]:
    """Every center with what routing needs, its queue depth included, in one query."""
    connection = await session.connection()
    return (await connection.execute(_CENTERS_FOR_ROUTING)).all()

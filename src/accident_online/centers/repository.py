from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.models.center import Center


async def get_center(session: AsyncSession, center_id: str) -> Center | None:
    return await session.get(Center, center_id)


async def list_centers(session: AsyncSession) -> Sequence[Center]:
    return (await session.exec(select(Center).order_by(col(Center.id)))).all()


async def add_center(session: AsyncSession, center: Center) -> None:
    session.add(center)
    await session.flush()

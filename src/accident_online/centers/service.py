from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.cases import repository as cases_repository
from accident_online.centers import repository
from accident_online.centers.config import CenterHours, load_default_centers
from accident_online.centers.exceptions import CenterNotFound
from accident_online.centers.schemas import CenterRead, CenterUpdate
from accident_online.models.case import Case
from accident_online.models.center import Center


async def seed_default_centers(session: AsyncSession) -> list[str]:
    """Adds the shipped centers that are missing; never overwrites an admin's changes."""
    added: list[str] = []
    for config in load_default_centers():
        if await repository.get_center(session, config.id) is not None:
            continue
        await repository.add_center(
            session,
            Center(
                id=config.id,
                name=config.name,
                districts=config.districts,
                capacity=config.capacity,
                hours=config.hours.model_dump(),
            ),
        )
        added.append(config.id)
    return added


async def list_centers(session: AsyncSession) -> list[CenterRead]:
    depths = await cases_repository.queue_depths(session)
    return [
        _read(center, depths.get(center.id, 0)) for center in await repository.list_centers(session)
    ]


async def update_center(session: AsyncSession, center_id: str, changes: CenterUpdate) -> CenterRead:
    center = await repository.get_center(session, center_id)
    if center is None:
        raise CenterNotFound()
    if changes.online is not None:
        center.online = changes.online
    if changes.capacity is not None:
        center.capacity = changes.capacity
    if changes.hours is not None:
        center.hours = changes.hours.model_dump()
    session.add(center)
    await session.flush()
    depths = await cases_repository.queue_depths(session)
    return _read(center, depths.get(center.id, 0))


def _read(center: Center, queue_depth: int) -> CenterRead:
    return CenterRead(
        id=center.id,
        name=center.name,
        districts=center.districts,
        online=center.online,
        capacity=center.capacity,
        queue_depth=queue_depth,
        hours=CenterHours.model_validate(center.hours),
    )


async def queue(
    session: AsyncSession, center_id: str, *, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> Sequence[Case]:
    if await repository.get_center(session, center_id) is None:
        raise CenterNotFound()
    return await cases_repository.queued_cases(session, center_id, after=after, limit=limit)

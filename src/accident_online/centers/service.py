from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.centers import repository
from accident_online.centers.config import load_default_centers
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

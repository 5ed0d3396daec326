from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.models.partner import InsurerCode, Partner


async def get_partner(session: AsyncSession, partner_id: str) -> Partner | None:
    return await session.get(Partner, partner_id)


async def list_partners(
    session: AsyncSession, *, after: str | None, limit: int
) -> Sequence[Partner]:
    query = select(Partner).order_by(col(Partner.id)).limit(limit)
    if after is not None:
        query = query.where(col(Partner.id) > after)
    return (await session.exec(query)).all()


async def insurer_codes_of(
    session: AsyncSession, partner_ids: Sequence[str]
) -> dict[str, list[str]]:
    if not partner_ids:
        return {}
    rows = await session.exec(
        select(InsurerCode)
        .where(col(InsurerCode.partner_id).in_(partner_ids))
        .order_by(col(InsurerCode.code))
    )
    codes: dict[str, list[str]] = {partner_id: [] for partner_id in partner_ids}
    for row in rows:
        codes[row.partner_id].append(row.code)
    return codes


async def taken_insurer_codes(session: AsyncSession, codes: Sequence[str]) -> list[str]:
    rows = await session.exec(select(InsurerCode.code).where(col(InsurerCode.code).in_(codes)))
    return list(rows)


async def add_partner(
    session: AsyncSession, partner: Partner, insurer_codes: Sequence[str]
) -> None:
    session.add(partner)
    await session.flush()
    session.add_all(InsurerCode(code=code, partner_id=partner.id) for code in insurer_codes)
    await session.flush()

"""The partners' SQL: partner systems and the insurer codes they answer for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, bindparam, literal, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.grouping import group_by
from accident_online.models.partner import InsurerCode, Partner


async def get_partner(
    session: AsyncSession, partner_id: str, *, for_update: bool = False
) -> Partner | None:
    return await session.get(Partner, partner_id, with_for_update=for_update)


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
    return group_by(partner_ids, rows, key=lambda row: row.partner_id, value=lambda row: row.code)


async def insurer_names(session: AsyncSession, codes: Sequence[str]) -> dict[str, str]:
    """The registered insurer's name for each of these codes that belongs to one."""
    if not codes:
        return {}
    rows = await session.exec(
        select(InsurerCode.code, Partner.name)
        .join(Partner, col(Partner.id) == col(InsurerCode.partner_id))
        .where(col(InsurerCode.code).in_(codes))
    )
    return dict(rows.all())


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


def _report_recipients_query() -> Any:
    has_url = col(Partner.webhook_url).is_not(None)
    filer = select(literal(None, String).label("code"), col(Partner.id), has_url).where(
        col(Partner.id) == bindparam("filer_id")
    )
    insurers = (
        select(col(InsurerCode.code), col(Partner.id), has_url)
        .join(Partner, col(Partner.id) == col(InsurerCode.partner_id))
        .where(col(InsurerCode.code).in_(bindparam("codes", expanding=True)))
    )
    return union_all(filer, insurers)


# Built once: the intake runs it for every report.
_REPORT_RECIPIENTS = _report_recipients_query()


async def report_recipients(
    session: AsyncSession, *, filer_id: str, insurer_codes: Sequence[str]
) -> tuple[dict[str, str], frozenset[str]]:
    """For a new report, in one query: the connected insurers by code, and which of them
    and the filing partner have a webhook URL (so receive the case's messages)."""
    connection = await session.connection()
    rows = (
        await connection.execute(
            _REPORT_RECIPIENTS, {"filer_id": filer_id, "codes": sorted(set(insurer_codes))}
        )
    ).all()
    connected = {code: partner_id for code, partner_id, _ in rows if code is not None}
    with_url = frozenset(partner_id for _, partner_id, url in rows if url)
    return connected, with_url

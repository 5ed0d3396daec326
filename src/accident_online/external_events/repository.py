from __future__ import annotations

from sqlalchemy import Table
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.db import upserting_insert
from accident_online.kit.time import utc_now
from accident_online.models.webhook import InboundEvent


async def record_inbound_event(
    session: AsyncSession, *, partner_id: str, webhook_id: str, type: str, case_id: str
) -> bool:
    """Inserts the event's row; False if the partner's webhook-id was recorded before."""
    table: Table = InboundEvent.__table__  # type: ignore[attr-defined]
    result = await session.exec(
        upserting_insert(session)(table)
        .values(
            partner_id=partner_id,
            webhook_id=webhook_id,
            type=type,
            case_id=case_id,
            received_at=utc_now(),
        )
        .on_conflict_do_nothing(index_elements=[table.c.partner_id, table.c.webhook_id])
    )
    return bool(result.rowcount == 1)

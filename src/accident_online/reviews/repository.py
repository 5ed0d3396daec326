from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.pagination import after_key
from accident_online.models.case import Case, CaseStatus


async def pending_reviews(
    session: AsyncSession, *, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> Sequence[Case]:
    """Cases whose review waits, the earliest due (= the oldest application) first."""
    query = select(Case).where(Case.status == CaseStatus.review_requested)
    if after is not None:
        query = query.where(after_key(col(Case.review_due_at), col(Case.id), after))
    query = query.order_by(col(Case.review_due_at), col(Case.id)).limit(limit)
    return (await session.exec(query)).all()

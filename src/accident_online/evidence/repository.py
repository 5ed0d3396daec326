from __future__ import annotations

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.models.case import Evidence


async def get_evidence(
    session: AsyncSession, case_id: uuid.UUID, evidence_id: uuid.UUID
) -> Evidence | None:
    query = select(Evidence).where(Evidence.id == evidence_id, Evidence.case_id == case_id)
    return (await session.exec(query)).first()


async def has_evidence_with(session: AsyncSession, sha256: str) -> bool:
    """Whether any stored photo has these bytes (the file is shared by content)."""
    query = select(Evidence.id).where(col(Evidence.sha256) == sha256).limit(1)
    return (await session.exec(query)).first() is not None

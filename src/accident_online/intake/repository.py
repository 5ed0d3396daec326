"""Intake's own SQL: the refused reports' reasons (the case rows are written by
kit.db.insert_steps with the idempotency key, intake/service.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.models.refusal import ReportRefusalReason

_REASONS: Table = ReportRefusalReason.__table__  # type: ignore[attr-defined]


async def record_refusal(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Stores a refused report's reasons; a retry with the same key adds nothing."""
    if not rows:
        return
    connection = await session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    await connection.execute(insert(_REASONS).on_conflict_do_nothing(), list(rows))

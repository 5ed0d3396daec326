"""INSERT … ON CONFLICT in the dialect at hand (both databases speak it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession


def upserting_insert(session: AsyncSession) -> Any:
    """The dialect's ``insert``, which has ON CONFLICT (both databases speak it)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def upsert_increment(
    session: AsyncSession, table: Table, *, key: dict[str, Any], column: str
) -> int:
    """Adds one to a counter row (made at 1 if missing) atomically; returns the new value."""
    statement = (
        upserting_insert(session)(table)
        .values(**key, **{column: 1})
        .on_conflict_do_update(
            index_elements=[table.c[name] for name in key],
            set_={column: table.c[column] + 1},
        )
        .returning(table.c[column])
    )
    result = await session.exec(statement)
    return int(result.scalar_one())

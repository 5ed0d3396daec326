"""Start-up work (migrations, seeding) done by one process at a time."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

# Arbitrary, fixed: the PostgreSQL advisory lock that serialises migrations and seeding
# when several replicas start at once.
SETUP_LOCK_KEY = 0x4143_4349  # "ACCI"


async def hold_setup_lock(connection: AsyncConnection | AsyncSession) -> None:
    """Serialises start-up work (migrate, seed) across processes until the transaction ends.

    On SQLite the write transaction (BEGIN IMMEDIATE) already does this.
    """
    bind = connection.get_bind() if isinstance(connection, AsyncSession) else connection
    if bind.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": SETUP_LOCK_KEY}
        )

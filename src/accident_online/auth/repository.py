from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.db import upsert_increment
from accident_online.models.user import SignInThrottle, User


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    result = await session.exec(select(User).where(User.username == username))
    return result.first()


async def list_users(session: AsyncSession, *, after: str | None, limit: int) -> Sequence[User]:
    query = select(User).order_by(col(User.username)).limit(limit)
    if after is not None:
        query = query.where(col(User.username) > after)
    return (await session.exec(query)).all()


async def add_user(session: AsyncSession, user: User) -> User:
    session.add(user)
    await session.flush()
    return user


async def get_throttle(session: AsyncSession, subject: str) -> SignInThrottle | None:
    return await session.get(SignInThrottle, subject)


async def record_failed_sign_in(
    session: AsyncSession, *, subject: str, max_failures: int, lock_until: datetime
) -> None:
    """Counts one failure atomically; the failure that reaches the limit sets the lock."""
    table = SignInThrottle.__table__  # type: ignore[attr-defined]
    await upsert_increment(session, table, key={"subject": subject}, column="failures")
    await session.exec(
        update(table)
        .where(table.c.subject == subject, table.c.failures >= max_failures)
        .values(failures=0, locked_until=lock_until)
    )


async def clear_failed_sign_ins(session: AsyncSession, subject: str) -> None:
    table = SignInThrottle.__table__  # type: ignore[attr-defined]
    await session.exec(
        update(table).where(table.c.subject == subject).values(failures=0, locked_until=None)
    )


async def any_admin(session: AsyncSession) -> bool:
    result = await session.exec(select(User.id).where(User.role == "admin").limit(1))
    return result.first() is not None

"""The accounts' SQL: users, and the partner and center rows that sign-in and account creation
read."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.models.center import Center
from accident_online.models.partner import Partner
from accident_online.models.user import User


async def get_user_by_username(
    session: AsyncSession, username: str, *, for_update: bool = False
) -> User | None:
    query = select(User).where(User.username == username)
    if for_update:
        query = query.with_for_update()
    result = await session.exec(query)
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


async def any_admin(session: AsyncSession) -> bool:
    result = await session.exec(select(User.id).where(User.role == "admin").limit(1))
    return result.first() is not None


# A partner system signs in as an account of its own: auth reads the partners' table
# itself, so that the partners package (whose routes need auth) stays above it.
async def get_partner_account(session: AsyncSession, client_id: str) -> Partner | None:
    return await session.get(Partner, client_id)


async def center_exists(session: AsyncSession, center_id: str) -> bool:
    result = await session.exec(select(Center.id).where(Center.id == center_id).limit(1))
    return result.first() is not None

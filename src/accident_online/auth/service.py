"""Sign-in and accounts. Shared by the API and the command line."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth import repository
from accident_online.auth.exceptions import (
    InvalidCredentials,
    SignInLocked,
    UnknownCenter,
    UsernameTaken,
)
from accident_online.auth.principal import Principal
from accident_online.auth.schemas import TokenResponse, UserCreate
from accident_online.centers import repository as centers_repository
from accident_online.kit.i18n import _
from accident_online.kit.passwords import hash_secret, verify_secret
from accident_online.kit.time import utc_now
from accident_online.kit.tokens import encode_token
from accident_online.models.partner import Partner
from accident_online.models.user import Role, User
from accident_online.partners import repository as partners_repository


class SignInPolicy:
    def __init__(self, *, max_failures: int, lockout_seconds: int) -> None:
        self.max_failures = max_failures
        self.lockout = timedelta(seconds=lockout_seconds)


async def _ensure_not_locked(session: AsyncSession, subject: str) -> None:
    throttle = await repository.get_throttle(session, subject)
    now = utc_now()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        retry_after = max(1, int((throttle.locked_until - now).total_seconds()) + 1)
        raise SignInLocked(headers={"Retry-After": str(retry_after)})


async def _fail(session: AsyncSession, subject: str, policy: SignInPolicy) -> InvalidCredentials:
    await repository.record_failed_sign_in(
        session,
        subject=subject,
        max_failures=policy.max_failures,
        lock_until=utc_now() + policy.lockout,
    )
    return InvalidCredentials()


async def sign_in_user(
    session: AsyncSession, *, username: str, password: str, policy: SignInPolicy
) -> Principal:
    subject = f"user:{username.lower()}"
    await _ensure_not_locked(session, subject)
    user = await repository.get_user_by_username(session, username)
    if not await verify_secret(password, user.password_hash if user else None) or user is None:
        raise await _fail(session, subject, policy)
    await repository.clear_failed_sign_ins(session, subject)
    return principal_for_user(user)


async def sign_in_client(
    session: AsyncSession, *, client_id: str, client_secret: str, policy: SignInPolicy
) -> Principal:
    subject = f"client:{client_id}"
    await _ensure_not_locked(session, subject)
    partner = await partners_repository.get_partner(session, client_id)
    hashed = partner.client_secret_hash if partner else None
    if not await verify_secret(client_secret, hashed) or partner is None:
        raise await _fail(session, subject, policy)
    await repository.clear_failed_sign_ins(session, subject)
    return principal_for_partner(partner)


def principal_for_user(user: User) -> Principal:
    return Principal(
        subject=f"user:{user.id}",
        role=Role(user.role),
        center_id=user.center_id,
    )


def principal_for_partner(partner: Partner) -> Principal:
    return Principal(
        subject=f"partner:{partner.id}", role=Role(partner.kind), partner_id=partner.id
    )


def issue_access_token(principal: Principal, *, key: str, ttl_seconds: int) -> TokenResponse:
    token = encode_token(principal.to_claims(), key=key, ttl_seconds=ttl_seconds)
    return TokenResponse(access_token=token, expires_in=ttl_seconds)


async def create_user(session: AsyncSession, data: UserCreate) -> User:
    if await repository.get_user_by_username(session, data.username) is not None:
        raise UsernameTaken()
    if (
        data.center_id is not None
        and await centers_repository.get_center(session, data.center_id) is None
    ):
        raise UnknownCenter(_("There is no center '{center}'.", center=data.center_id))
    user = User(
        username=data.username,
        password_hash=await hash_secret(data.password),
        role=data.role,
        center_id=data.center_id,
        display_name=data.display_name,
        badge_number=data.badge_number,
    )
    return await repository.add_user(session, user)

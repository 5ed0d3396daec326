"""Sign-in and accounts. Shared by the API and the command line."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth import repository
from accident_online.auth.exceptions import (
    AccountDisabled,
    InvalidCredentials,
    UnknownCenter,
    UsernameTaken,
    UserNotFound,
)
from accident_online.auth.lockout import SignInThrottle
from accident_online.auth.principal import Principal
from accident_online.auth.schemas import TokenResponse, UserCreate
from accident_online.kit.i18n import _
from accident_online.kit.passwords import hash_secret, verify_secret
from accident_online.kit.time import utc_now
from accident_online.kit.tokens import encode_token
from accident_online.models.partner import Partner
from accident_online.models.user import Role, User


async def sign_in_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    address: str,
    throttle: SignInThrottle,
) -> Principal:
    """A person's sign-in; failures pause this address for this username (auth.lockout)."""
    username = username.lower()
    await throttle.check_person(username, address)
    user = await repository.get_user_by_username(session, username)
    if not await verify_secret(password, user.password_hash if user else None) or user is None:
        left = await throttle.person_failed(username, address)
        raise InvalidCredentials(_attempts_left(left))
    if user.disabled_at is not None:
        raise AccountDisabled()
    await throttle.person_succeeded(username, address)
    return principal_for_user(user)


def _attempts_left(left: int) -> str:
    if left <= 0:
        return _(
            "The username and password do not match. Sign-in from your address is now "
            "paused for this username."
        )
    if left == 1:
        return _(
            "The username and password do not match. 1 attempt left before sign-in from "
            "your address is paused for this username."
        )
    return _(
        "The username and password do not match. {left} attempts left before sign-in from "
        "your address is paused for this username.",
        left=left,
    )


async def sign_in_client(
    session: AsyncSession,
    *,
    client_id: str,
    client_secret: str,
    address: str,
    throttle: SignInThrottle,
) -> Principal:
    """A partner system's sign-in. Never locks the partner: failures pause only the address
    they come from (auth.lockout)."""
    await throttle.check_client(address)
    partner = await repository.get_partner_account(session, client_id)
    hashed = partner.client_secret_hash if partner else None
    if not await verify_secret(client_secret, hashed) or partner is None:
        await throttle.client_failed(address)
        raise InvalidCredentials(
            "The client id and secret do not match.", oauth_error="invalid_client"
        )
    if partner.disabled_at is not None:
        raise AccountDisabled(oauth_error="invalid_client")
    return principal_for_partner(partner)


def principal_for_user(user: User) -> Principal:
    return Principal(
        subject=f"user:{user.id}",
        role=Role(user.role),
        center_id=user.center_id,
        token_version=user.token_version,
    )


def principal_for_partner(partner: Partner) -> Principal:
    return Principal(
        subject=f"partner:{partner.id}",
        role=Role(partner.kind),
        partner_id=partner.id,
        token_version=partner.token_version,
    )


def issue_access_token(principal: Principal, *, key: str, ttl_seconds: int) -> TokenResponse:
    token = encode_token(principal.to_claims(), key=key, ttl_seconds=ttl_seconds)
    return TokenResponse(access_token=token, expires_in=ttl_seconds)


async def create_user(session: AsyncSession, data: UserCreate) -> User:
    """``data.username`` is in lower case already (``UserCreate``)."""
    if await repository.get_user_by_username(session, data.username) is not None:
        raise UsernameTaken()
    if data.center_id is not None and not await repository.center_exists(session, data.center_id):
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


async def set_user_disabled(session: AsyncSession, username: str, *, disabled: bool) -> User:
    """Disabling stops sign-in and ends every token of the account (token_version + 1);
    enabling allows sign-in again, and old tokens stay ended."""
    user = await repository.get_user_by_username(session, username.lower(), for_update=True)
    if user is None:
        raise UserNotFound()
    if disabled and user.disabled_at is None:
        user.disabled_at = utc_now()
        user.token_version += 1
    elif not disabled:
        user.disabled_at = None
    session.add(user)
    await session.flush()
    return user

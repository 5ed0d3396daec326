from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import quote, unquote

from fastapi import APIRouter, Form, Query, Request, Response, status

from accident_online.apidocs.openapi import OFFICERS_TAG
from accident_online.auth import repository, service
from accident_online.auth.dependencies import AdminPrincipal
from accident_online.auth.exceptions import (
    AccountDisabled,
    InvalidCredentials,
    InvalidTokenRequest,
    MissingGrantFields,
    SignInLocked,
    SignInRateLimited,
    UnknownCenter,
    UnsupportedGrantType,
    UsernameTaken,
    UserNotFound,
)
from accident_online.auth.lockout import SignInPolicy, SignInThrottle
from accident_online.auth.schemas import TokenResponse, UserCreate, UserRead
from accident_online.auth.token_route import TokenRoute
from accident_online.kit.created import created_responses
from accident_online.kit.db import SessionDep
from accident_online.kit.fields import CONTROL_CHARACTERS, CONTROL_MESSAGE, Name
from accident_online.kit.i18n import _
from accident_online.kit.limits import Limits, per_minute
from accident_online.kit.pagination import (
    InvalidCursor,
    Page,
    PageParams,
    decode_cursor,
    page_of,
)
from accident_online.kit.problems import (
    Forbidden,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from accident_online.settings import Settings

router = APIRouter(tags=["auth"])
# Its own router for its route class: every failure a token error (auth.token_route).
token_router = APIRouter(tags=["auth"], route_class=TokenRoute)


@token_router.post(
    "/auth/token",
    operation_id="issueToken",
    summary="登录，取得访问令牌 · Sign in and get an access token",
    tags=[OFFICERS_TAG],
    response_model=TokenResponse,
    responses=problem_responses(
        MissingGrantFields,
        UnsupportedGrantType,
        InvalidCredentials,
        AccountDisabled,
        SignInLocked,
        SignInRateLimited,
        InvalidTokenRequest,
    ),
)
async def issue_token(
    request: Request,
    session: SessionDep,
    grant_type: Annotated[
        Name | None,
        Form(
            description="民警填 `password` · `password` for officers and admins, "
            "`client_credentials` for partner systems"
        ),
    ] = None,
    username: Annotated[
        Name | None, Form(max_length=64, description="民警用户名 · Your username")
    ] = None,
    password: Annotated[
        Name | None, Form(max_length=128, description="密码 · Your password")
    ] = None,
    client_id: Annotated[Name | None, Form(max_length=64)] = None,
    client_secret: Annotated[Name | None, Form(max_length=256)] = None,
    scope: Annotated[Name, Form(max_length=256)] = "",
) -> TokenResponse:
    """民警请点页面上方的 **Authorize**，在 *password* 下输入用户名和密码（client id 和
    secret 留空），此后每个请求都会带上令牌，一个班次内有效。同一地址对同一用户名连续登录
    失败后，该地址会被暂停登录一段时间（429），错误说明会提示还剩几次尝试。

    OAuth2 token endpoint: officers press **Authorize** and sign in there.

    People (officers, admins) use `grant_type=password` with `username` (not case
    sensitive) and `password`, and get a token for a shift (`expires_in`,
    `PERSON_TOKEN_TTL_SECONDS`). Partner systems use `grant_type=client_credentials`
    with `client_id` and `client_secret`, in the form or as HTTP Basic, and get a short
    token (`ACCESS_TOKEN_TTL_SECONDS`).

    Errors carry RFC 6749's `error` and `error_description` as well. After repeated
    failures for one username from one address, that address is paused for that
    username (429 `sign-in-locked` with `Retry-After`); `error_description` says how
    many attempts are left before that. A disabled account gets 401 `account-disabled`.
    """
    address = request.client.host if request.client else "unknown"
    settings: Settings = request.app.state.settings
    limits: Limits = request.app.state.limits
    every_request = per_minute(settings.rate_limit_sign_in_per_minute)
    if not await limits.hit(every_request, "sign-in", address):
        retry_after = await limits.retry_after(every_request, "sign-in", address)
        raise SignInRateLimited(headers={"Retry-After": str(retry_after)})
    throttle = SignInThrottle(
        limits,
        SignInPolicy(
            max_failures=settings.sign_in_max_failures,
            lockout_seconds=settings.sign_in_lockout_seconds,
            name_throttle_failures=settings.sign_in_name_throttle_failures,
        ),
    )
    if grant_type is None:
        raise MissingGrantFields(_("grant_type is required: 'password' or 'client_credentials'."))
    if grant_type == "password":
        if not username or password is None:
            raise MissingGrantFields(_("The password grant needs username and password."))
        principal = await service.sign_in_user(
            session, username=username, password=password, address=address, throttle=throttle
        )
        ttl = settings.person_token_ttl_seconds
    elif grant_type == "client_credentials":
        basic = _basic_credentials(request.headers.get("authorization"))
        if basic is not None:
            client_id, client_secret = basic
        if not client_id or client_secret is None:
            raise MissingGrantFields(
                _("The client_credentials grant needs client_id and client_secret.")
            )
        principal = await service.sign_in_client(
            session,
            client_id=client_id,
            client_secret=client_secret,
            address=address,
            throttle=throttle,
        )
        ttl = settings.access_token_ttl_seconds
    else:
        raise UnsupportedGrantType()
    return service.issue_access_token(principal, key=request.app.state.jwt_key, ttl_seconds=ttl)


router.include_router(token_router)


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """Client credentials sent as HTTP Basic (RFC 6749 §2.3.1), as Swagger UI may."""
    if not header:
        return None
    scheme, _space, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise InvalidCredentials(
            _("Malformed HTTP Basic credentials."), oauth_error="invalid_client"
        ) from error
    client_id, separator, client_secret = decoded.partition(":")
    if not separator:
        raise InvalidCredentials(
            _("Malformed HTTP Basic credentials."), oauth_error="invalid_client"
        )
    client_id, client_secret = unquote(client_id), unquote(client_secret)
    if CONTROL_CHARACTERS.search(client_id + client_secret):
        # Encoded, so kit.inputs cannot see them; PostgreSQL would refuse a NUL.
        raise ValidationFailed.at(["header", "authorization"], CONTROL_MESSAGE)
    return client_id, client_secret


@router.post(
    "/admin/users",
    operation_id="createUser",
    summary="Create an officer or admin account",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses={
        **created_responses("The new account (`getUser`)"),
        **problem_responses(
            Unauthorized, Forbidden, UsernameTaken, UnknownCenter, ValidationFailed
        ),
    },
)
async def create_user(
    body: UserCreate, session: SessionDep, _: AdminPrincipal, response: Response
) -> UserRead:
    """An officer belongs to exactly one of the nine centers; an admin to none."""
    user = await service.create_user(session, body)
    response.headers["Location"] = f"/v1/admin/users/{quote(user.username, safe='')}"
    return UserRead.model_validate(user)


@router.get(
    "/admin/users/{username}",
    operation_id="getUser",
    summary="An officer or admin account",
    response_model=UserRead,
    responses=problem_responses(Unauthorized, Forbidden, UserNotFound),
)
async def get_user(username: str, session: SessionDep, _: AdminPrincipal) -> UserRead:
    """The account as `createUser` answered it, with its state now (`disabled_at`)."""
    user = await repository.get_user_by_username(session, username.lower())
    if user is None:
        raise UserNotFound()
    return UserRead.model_validate(user)


@router.get(
    "/admin/users",
    operation_id="listUsers",
    summary="List officer and admin accounts",
    response_model=Page[UserRead],
    responses=problem_responses(Unauthorized, Forbidden, InvalidCursor, ValidationFailed),
)
async def list_users(
    session: SessionDep, _: AdminPrincipal, page: Annotated[PageParams, Query()]
) -> Page[UserRead]:
    """Ordered by username."""
    after = decode_cursor(page.cursor) if page.cursor else None
    users = await repository.list_users(session, after=after, limit=page.limit + 1)
    return page_of(
        [UserRead.model_validate(user) for user in users],
        limit=page.limit,
        key=lambda u: u.username,
    )


@router.post(
    "/admin/users/{username}/disable",
    operation_id="disableUser",
    summary="Disable an officer or admin account",
    response_model=UserRead,
    responses=problem_responses(Unauthorized, Forbidden, UserNotFound),
)
async def disable_user(
    username: str, request: Request, session: SessionDep, _: AdminPrincipal
) -> UserRead:
    """The account can no longer sign in, and every token issued to it stops working
    within a few seconds on every API process. Its work (decisions, timeline) stays."""
    user = await service.set_user_disabled(session, username, disabled=True)
    request.app.state.accounts.forget(f"user:{user.id}")
    return UserRead.model_validate(user)


@router.post(
    "/admin/users/{username}/enable",
    operation_id="enableUser",
    summary="Enable a disabled account again",
    response_model=UserRead,
    responses=problem_responses(Unauthorized, Forbidden, UserNotFound),
)
async def enable_user(
    username: str, request: Request, session: SessionDep, _: AdminPrincipal
) -> UserRead:
    """The account may sign in again; tokens issued before it was disabled stay invalid."""
    user = await service.set_user_disabled(session, username, disabled=False)
    request.app.state.accounts.forget(f"user:{user.id}")
    return UserRead.model_validate(user)

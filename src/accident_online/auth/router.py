from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Form, Query, Request, status

from accident_online.auth import repository, service
from accident_online.auth.dependencies import AdminPrincipal
from accident_online.auth.exceptions import (
    InvalidCredentials,
    MissingGrantFields,
    SignInLocked,
    UnknownCenter,
    UnsupportedGrantType,
    UsernameTaken,
)
from accident_online.auth.schemas import TokenResponse, UserCreate, UserRead
from accident_online.kit.db import SessionDep
from accident_online.kit.fields import CONTROL_CHARACTERS, CONTROL_MESSAGE, Name
from accident_online.kit.limits import RateLimited
from accident_online.kit.pagination import (
    InvalidCursor,
    Page,
    PageParams,
    decode_cursor,
    page_of,
)
from accident_online.kit.problems import (
    Forbidden,
    ProblemErrorItem,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from accident_online.settings import Settings

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/token",
    summary="Sign in and get an access token",
    response_model=TokenResponse,
    responses=problem_responses(
        UnsupportedGrantType, InvalidCredentials, SignInLocked, ValidationFailed, RateLimited
    ),
)
async def issue_token(
    request: Request,
    session: SessionDep,
    grant_type: Annotated[Name, Form(description="'password' or 'client_credentials'")],
    username: Annotated[Name | None, Form(max_length=64)] = None,
    password: Annotated[Name | None, Form(max_length=128)] = None,
    client_id: Annotated[Name | None, Form(max_length=64)] = None,
    client_secret: Annotated[Name | None, Form(max_length=256)] = None,
    scope: Annotated[Name, Form(max_length=256)] = "",
) -> TokenResponse:
    """OAuth2 token endpoint.

    People (officers, admins) use `grant_type=password` with `username` and `password`.
    Partner systems use `grant_type=client_credentials` with `client_id` and
    `client_secret`, in the form or as HTTP Basic. After repeated failures for one
    username or client id, sign-in is locked for a while (429 with `Retry-After`).
    """
    client = request.client.host if request.client else "unknown"
    request.app.state.sign_in_limiter.check(client)
    settings: Settings = request.app.state.settings
    policy = service.SignInPolicy(
        max_failures=settings.sign_in_max_failures,
        lockout_seconds=settings.sign_in_lockout_seconds,
    )
    if grant_type == "password":
        if not username or password is None:
            raise MissingGrantFields("The password grant needs username and password.")
        principal = await service.sign_in_user(
            session, username=username, password=password, policy=policy
        )
    elif grant_type == "client_credentials":
        basic = _basic_credentials(request.headers.get("authorization"))
        if basic is not None:
            client_id, client_secret = basic
        if not client_id or client_secret is None:
            raise MissingGrantFields(
                "The client_credentials grant needs client_id and client_secret."
            )
        principal = await service.sign_in_client(
            session, client_id=client_id, client_secret=client_secret, policy=policy
        )
    else:
        raise UnsupportedGrantType()
    return service.issue_access_token(
        principal, key=request.app.state.jwt_key, ttl_seconds=settings.access_token_ttl_seconds
    )


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """Client credentials sent as HTTP Basic (RFC 6749 §2.3.1), as Swagger UI may."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise InvalidCredentials("Malformed HTTP Basic credentials.") from error
    client_id, separator, client_secret = decoded.partition(":")
    if not separator:
        raise InvalidCredentials("Malformed HTTP Basic credentials.")
    client_id, client_secret = unquote(client_id), unquote(client_secret)
    if CONTROL_CHARACTERS.search(client_id + client_secret):
        # Encoded, so kit.inputs cannot see them; PostgreSQL would refuse a NUL.
        item = ProblemErrorItem(loc=["header", "authorization"], msg=CONTROL_MESSAGE)
        raise ValidationFailed(errors=[item])
    return client_id, client_secret


@router.post(
    "/admin/users",
    summary="Create an officer or admin account",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=problem_responses(
        Unauthorized, Forbidden, UsernameTaken, UnknownCenter, ValidationFailed
    ),
)
async def create_user(body: UserCreate, session: SessionDep, _: AdminPrincipal) -> UserRead:
    """An officer belongs to exactly one of the nine centers; an admin to none."""
    user = await service.create_user(session, body)
    return UserRead.model_validate(user)


@router.get(
    "/admin/users",
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

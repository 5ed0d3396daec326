"""Who is calling, and whether their role may call this route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlowPassword, OAuthFlows
from fastapi.security import OAuth2

from accident_online.auth.accounts import AccountStates
from accident_online.auth.exceptions import InvalidAccessToken, RevokedAccessToken
from accident_online.auth.principal import Principal
from accident_online.kit.i18n import _
from accident_online.kit.problems import Forbidden, Unauthorized
from accident_online.kit.tokens import InvalidToken, decode_token
from accident_online.models.user import Role

TOKEN_URL = "/v1/auth/token"  # noqa: S105 (a path, not a secret)

# One scheme with both flows, so Swagger UI's "Authorize" offers officers and admins a
# username and password, and partner systems a client id and secret.
oauth2_scheme = OAuth2(
    flows=OAuthFlows(
        password=OAuthFlowPassword(tokenUrl=TOKEN_URL),
        clientCredentials=OAuthFlowClientCredentials(tokenUrl=TOKEN_URL),
    ),
    scheme_name="OAuth2",
    description="Officers and admins: password flow. Partner systems: client credentials.",
    auto_error=False,
)


async def current_principal(
    request: Request, authorization: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    if not authorization:
        raise Unauthorized()
    scheme, _space, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(_("Send 'Authorization: Bearer <token>'."))
    try:
        claims = decode_token(token.strip(), key=request.app.state.jwt_key)
        principal = Principal.from_claims(claims)
    except (InvalidToken, KeyError, ValueError) as error:
        raise InvalidAccessToken() from error
    # Checked on every request, after the (cached) signature check: a token of a
    # disabled, deleted or re-keyed account stops working within ACCOUNT_CHECK_SECONDS.
    accounts: AccountStates = request.app.state.accounts
    if not await accounts.accepts(request.app.state.database, principal):
        raise RevokedAccessToken()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    allowed = frozenset(roles)

    async def principal_with_role(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(
                _("This needs one of the roles: {roles}.", roles=", ".join(sorted(allowed)))
            )
        return principal

    return principal_with_role


# Module-level, so that FastAPI's per-request cache recognises the same dependency.
admin = require_roles(Role.admin)
officer = require_roles(Role.officer)
app_partner = require_roles(Role.app)
reviewer = require_roles(Role.reviewer)
reviewer_or_admin = require_roles(Role.reviewer, Role.admin)

AdminPrincipal = Annotated[Principal, Depends(admin)]
OfficerPrincipal = Annotated[Principal, Depends(officer)]
AppPartnerPrincipal = Annotated[Principal, Depends(app_partner)]
ReviewerPrincipal = Annotated[Principal, Depends(reviewer)]
ReviewerOrAdminPrincipal = Annotated[Principal, Depends(reviewer_or_admin)]

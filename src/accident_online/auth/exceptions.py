from typing import Any, ClassVar

from accident_online.kit.i18n import _
from accident_online.kit.limits import RateLimited
from accident_online.kit.problems import (
    BadRequest,
    Conflict,
    NotFound,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)


class TokenError:
    """A token endpoint error: the problem document also carries RFC 6749 §5.2's ``error``
    and ``error_description``, which OAuth clients (Swagger UI's Authorize dialog among
    them) read and show."""

    oauth_error: ClassVar[str] = "invalid_request"
    default_detail: ClassVar[str]

    def __init__(self, detail: str | None = None, *, oauth_error: str | None = None, **kwargs: Any):
        detail = detail or self.default_detail
        super().__init__(  # type: ignore[call-arg]
            detail,
            error=oauth_error or self.oauth_error,
            error_description=detail,
            **kwargs,
        )


class InvalidCredentials(TokenError, Unauthorized):
    code = "invalid-credentials"
    title = _("Invalid credentials")
    default_detail = _("The username and password, or client id and secret, do not match.")
    oauth_error = "invalid_grant"


class AccountDisabled(TokenError, Unauthorized):
    code = "account-disabled"
    title = _("Account disabled")
    default_detail = _("This account is disabled; ask an administrator.")
    oauth_error = "invalid_grant"


class InvalidAccessToken(Unauthorized):
    code = "invalid-token"
    title = _("Invalid or expired token")
    default_detail = _("The bearer token is invalid or has expired; sign in again.")


class RevokedAccessToken(InvalidAccessToken):
    code = "token-revoked"
    title = _("Token no longer valid")
    default_detail = _(
        "The account this token was issued to is disabled, was removed, or was issued "
        "new credentials; sign in again."
    )


class SignInLocked(TokenError, TooManyRequests):
    code = "sign-in-locked"
    title = _("Too many failed sign-ins")
    default_detail = _(
        "Too many failed sign-ins for this username from your address; wait and try again."
    )
    oauth_error = "invalid_grant"


class SignInRateLimited(TokenError, RateLimited):
    oauth_error = "invalid_request"
    default_detail = _("Too many sign-in requests from your address; wait and try again.")


class UnsupportedGrantType(TokenError, BadRequest):
    code = "unsupported-grant-type"
    title = _("Unsupported grant type")
    default_detail = _("grant_type must be 'password' or 'client_credentials'.")
    oauth_error = "unsupported_grant_type"


class MissingGrantFields(TokenError, BadRequest):
    code = "invalid-request"
    title = _("Incomplete token request")
    default_detail = _("The token request lacks a required field.")
    oauth_error = "invalid_request"


class UsernameTaken(Conflict):
    code = "username-taken"
    title = _("Username taken")
    default_detail = _("An account with this username exists already.")


class UserNotFound(NotFound):
    code = "user-not-found"
    title = _("User not found")
    default_detail = _("There is no account with that username.")


class UnknownCenter(ValidationFailed):
    code = "unknown-center"
    title = _("Unknown center")
    default_detail = _("There is no center with that id.")


class InvalidTokenRequest(TokenError, ValidationFailed):
    """A token request whose fields do not validate (auth.token_route): the same 422 as
    anywhere else, with RFC 6749's ``error`` and ``error_description`` as well."""

    oauth_error = "invalid_request"
    default_detail = ValidationFailed.default_detail

from accident_online.kit.i18n import _
from accident_online.kit.problems import (
    BadRequest,
    Conflict,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)


class InvalidCredentials(Unauthorized):
    code = "invalid-credentials"
    title = _("Invalid credentials")
    default_detail = _("The username and password, or client id and secret, do not match.")
    # The failure is counted towards a lockout even though the request fails.
    keep_changes = True


class InvalidAccessToken(Unauthorized):
    code = "invalid-token"
    title = _("Invalid or expired token")
    default_detail = _("The bearer token is invalid or has expired; sign in again.")


class SignInLocked(TooManyRequests):
    code = "sign-in-locked"
    title = _("Too many failed sign-ins")
    default_detail = _("Too many failed sign-ins for this account; wait and try again.")


class UnsupportedGrantType(BadRequest):
    code = "unsupported-grant-type"
    title = _("Unsupported grant type")
    default_detail = _("grant_type must be 'password' or 'client_credentials'.")


class MissingGrantFields(BadRequest):
    code = "invalid-request"
    title = _("Incomplete token request")


class UsernameTaken(Conflict):
    code = "username-taken"
    title = _("Username taken")
    default_detail = _("An account with this username exists already.")


class UnknownCenter(ValidationFailed):
    code = "unknown-center"
    title = _("Unknown center")
    default_detail = _("There is no center with that id.")

from accident_online.kit.problems import (
    BadRequest,
    Conflict,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)


class InvalidCredentials(Unauthorized):
    code = "invalid-credentials"
    title = "Invalid credentials"
    default_detail = "The username and password, or client id and secret, do not match."
    # The failure is counted towards a lockout even though the request fails.
    keep_changes = True


class InvalidAccessToken(Unauthorized):
    code = "invalid-token"
    title = "Invalid or expired token"
    default_detail = "The bearer token is invalid or has expired; sign in again."


class SignInLocked(TooManyRequests):
    code = "sign-in-locked"
    title = "Too many failed sign-ins"
    default_detail = "Too many failed sign-ins for this account; wait and try again."


class UnsupportedGrantType(BadRequest):
    code = "unsupported-grant-type"
    title = "Unsupported grant type"
    default_detail = "grant_type must be 'password' or 'client_credentials'."


class MissingGrantFields(BadRequest):
    code = "invalid-request"
    title = "Incomplete token request"


class UsernameTaken(Conflict):
    code = "username-taken"
    title = "Username taken"
    default_detail = "An account with this username exists already."


class UnknownCenter(ValidationFailed):
    code = "unknown-center"
    title = "Unknown center"
    default_detail = "There is no center with that id."

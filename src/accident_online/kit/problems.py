"""RFC 9457 problem details: the one error shape every client gets.

Every error the service raises is an ``AppError`` subclass with a status, a stable
``code`` and a title; one handler renders them, title and detail translated by the
message catalogue (kit/i18n.py) into the language the request negotiated. FastAPI's and
Starlette's own errors (404, 405, 422) and unexpected exceptions are rendered the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field
from starlette.types import Scope

from accident_online.kit.i18n import (
    ENGLISH,
    Message,
    _,
    language_headers,
    request_locale,
    translate,
)

PROBLEM_BASE_URI = "https://accident-online.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str | None = None


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    # Examples are per status and code: each operation's responses carry their own
    # (problem_responses), so none is attached to the schema itself.
    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI identifying the problem type.")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The request path this occurrence belongs to.")
    code: str = Field(description="A stable short string clients can branch on.")
    request_id: str | None = Field(default=None, description="Correlation id, also in our logs.")
    errors: list[ProblemErrorItem] | None = Field(
        default=None, description="Field-level errors, for validation problems."
    )


class AppError(Exception):
    """Base of every error a client may see."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal-error"
    title: ClassVar[str] = _("Internal server error")
    default_detail: ClassVar[str] = _("The server could not complete the request.")
    # Commit the request's transaction even though the request fails (e.g. counting a
    # failed sign-in); almost every error must leave nothing behind, so False.
    keep_changes: ClassVar[bool] = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[ProblemErrorItem] | None = None,
        **extra: Any,
    ) -> None:
        self.detail = detail or self.default_detail
        self.headers = dict(headers or {})
        self.errors = list(errors) if errors is not None else None
        self.extra = extra
        super().__init__(self.detail)

    @classmethod
    def at(
        cls,
        loc: Sequence[str | int],
        msg: str,
        *,
        type: str | None = None,
        detail: str | None = None,
    ) -> Self:
        """The error of one field (``loc`` as pydantic writes it, e.g. ``["body", "party"]``)."""
        return cls(detail, errors=[ProblemErrorItem(loc=list(loc), msg=msg, type=type)])

    def to_problem(
        self, *, instance: str, request_id: str | None, locale: str = ENGLISH
    ) -> Problem:
        return Problem(
            type=PROBLEM_BASE_URI + self.code,
            title=translate(self.title, locale),
            status=self.status_code,
            detail=translate(self.detail, locale),
            instance=instance,
            code=self.code,
            request_id=request_id,
            errors=None
            if self.errors is None
            else [
                # Our own field messages translate when the catalogue has them (the
                # validation handler has already translated pydantic's).
                item.model_copy(update={"msg": translate(item.msg, locale)})
                for item in self.errors
            ],
            # Extensions people read (RFC 6749's error_description) follow the language too.
            **{
                name: translate(value, locale) if isinstance(value, Message) else value
                for name, value in self.extra.items()
            },
        )


def asgi_problem(
    error: AppError, scope: Scope, *, request_id: str | None
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """Body and headers of a problem that middleware sends itself, outside the handlers."""
    locale = request_locale(scope)
    problem = error.to_problem(instance=scope.get("path", ""), request_id=request_id, locale=locale)
    body = json.dumps(problem.model_dump(mode="json", exclude_none=True), ensure_ascii=False)
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        *(
            (name.lower().encode(), value.encode())
            for name, value in language_headers(locale).items()
        ),
    ]
    return body.encode(), headers


class BadRequest(AppError):
    status_code = 400
    code = "bad-request"
    title = _("Bad request")
    default_detail = _("The request is malformed.")


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    title = _("Not signed in")
    default_detail = _("Sign in and send 'Authorization: Bearer <token>'.")

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        headers = {"WWW-Authenticate": "Bearer", **kwargs.pop("headers", {})}
        super().__init__(detail, headers=headers, **kwargs)


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    title = _("Not allowed")
    default_detail = _("Your role may not do this.")


class NotFound(AppError):
    status_code = 404
    code = "not-found"
    title = _("Not found")
    default_detail = _("Nothing exists at this address.")


class MethodNotAllowed(AppError):
    status_code = 405
    code = "method-not-allowed"
    title = _("Method not allowed")
    default_detail = _("This address does not accept that method.")


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    title = _("Conflict")
    default_detail = _("The request conflicts with the current state.")


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload-too-large"
    title = _("Payload too large")
    default_detail = _("The request body is larger than allowed.")


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported-media-type"
    title = _("Unsupported media type")
    default_detail = _("The request's content type is not accepted here.")


class ValidationFailed(AppError):
    status_code = 422
    code = "validation-error"
    title = _("Invalid request")
    default_detail = _("The request has invalid fields; see errors.")


class TooManyRequests(AppError):
    status_code = 429
    code = "too-many-requests"
    title = _("Too many requests")
    default_detail = _("Slow down and retry later.")


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service-unavailable"
    title = _("Service unavailable")
    default_detail = _("The service cannot serve requests right now.")
    # RFC 9110 §10.2.3: when a client (or a load balancer) may try again.
    retry_after_seconds: ClassVar[int] = 5

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(
            detail,
            headers={"Retry-After": str(self.retry_after_seconds), **(headers or {})},
            **extra,
        )


STATUS_ERRORS: dict[int, type[AppError]] = {
    cls.status_code: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        PayloadTooLarge,
        UnsupportedMediaType,
        ValidationFailed,
        TooManyRequests,
        ServiceUnavailable,
    )
}


def problem_example(error: type[AppError]) -> dict[str, Any]:
    """An example of the problem document ``error`` answers with."""
    example: dict[str, Any] = {
        "type": PROBLEM_BASE_URI + error.code,
        "title": error.title,
        "status": error.status_code,
        "detail": error.default_detail,
        "instance": "/v1/cases/0b0c6f5e-9d0a-4f7e-8a55-2f3f2d4b1c9a",
        "code": error.code,
        "request_id": "4f2a9c1e7b3d4e5f",
    }
    if issubclass(error, ValidationFailed):
        example["errors"] = [{"loc": ["body", "..."], "msg": "Field required"}]
    return example


def problem_examples(*errors: type[AppError]) -> dict[str, dict[str, Any]]:
    """OpenAPI media type ``examples``, one per code, for errors of one status."""
    return {
        error.code: {"summary": f"{error.code}: {error.title}", "value": problem_example(error)}
        for error in errors
    }


def problem_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for the errors a route may answer with, each status with an
    example of each of its codes."""
    by_status: dict[int, list[type[AppError]]] = {}
    for error in errors:
        by_status.setdefault(error.status_code, []).append(error)
    return {
        status: {
            "model": Problem,
            "description": "; ".join(f"`{e.code}`: {e.title}" for e in classes),
            "content": {PROBLEM_MEDIA_TYPE: {"examples": problem_examples(*classes)}},
        }
        for status, classes in sorted(by_status.items())
    }

"""Renders every error as an RFC 9457 problem document."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from accident_online.kit.i18n import (
    ENGLISH,
    Message,
    _,
    language_headers,
    placeholders,
    request_locale,
    translate,
)
from accident_online.kit.idempotency import Replay, handle_replay
from accident_online.kit.problems import (
    PROBLEM_MEDIA_TYPE,
    STATUS_ERRORS,
    AppError,
    ProblemErrorItem,
    ValidationFailed,
)


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        # Chinese text must reach the client as written, not as \u escapes.
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def problem_response(request: Request, error: AppError) -> ProblemResponse:
    request_id = getattr(request.state, "request_id", None)
    locale = request_locale(request.scope)
    problem = error.to_problem(instance=request.url.path, request_id=request_id, locale=locale)
    return ProblemResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=error.status_code,
        headers={**error.headers, **language_headers(locale)},
    )


async def handle_app_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, AppError)
    return problem_response(request, exc)


async def handle_http_exception(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
        # FastAPI answers a JSON body it cannot decode (not UTF-8, nested too deep) with a
        # bare 400, but one with a syntax error with 422 json_invalid: the same mistake,
        # so both get the declared 422.
        return problem_response(request, ValidationFailed(errors=[_UNREADABLE_BODY]))
    error_class = STATUS_ERRORS.get(exc.status_code)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    if error_class is None:
        error: AppError = AppError(str(exc.detail), headers=headers)
        response = problem_response(request, error)
        response.status_code = exc.status_code
        return response
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail not in _GENERIC else None
    return problem_response(request, error_class(detail, headers=headers))


# Starlette's stock details ("Not Found") say less than our defaults.
_GENERIC = {"Not Found", "Method Not Allowed", "Unauthorized", "Forbidden", "Bad Request"}
# Details FastAPI writes itself, kept in the catalogue so that they are translated too.
_FASTAPI_DETAILS = (_("There was an error parsing the body"),)
_UNREADABLE_BODY = ProblemErrorItem(
    loc=["body"], msg=_("The body could not be read as UTF-8 JSON."), type="json_invalid"
)


def _allowed_methods(request: Request) -> str:
    """Every method the request's path takes, across all routes for it.

    Starlette names only the methods of the first route whose path matched, but a path
    may have several routes (e.g. GET and POST /v1/partners).
    """
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        if route.path and route.methods and _path_pattern(route.path).match(request.url.path):
            methods.update(route.methods)
    return ", ".join(sorted(methods))


@functools.cache
def _path_pattern(path: str) -> re.Pattern[str]:
    return compile_path(path)[0]


async def handle_validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    items = validation_items(exc, request_locale(request.scope))
    return problem_response(request, ValidationFailed(errors=items))


def validation_items(exc: RequestValidationError, locale: str) -> list[ProblemErrorItem]:
    """FastAPI's validation errors as a problem's ``errors``, messages in the locale."""
    return [
        ProblemErrorItem(
            loc=[part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
            msg=_message(error, locale),
            type=error.get("type"),
        )
        for error in exc.errors()
    ]


# pydantic's commonest field messages, for readers of other languages than English; for
# English, pydantic's own text is kept as it is.
_PYDANTIC_MESSAGES: dict[str, Message] = {
    "missing": _("Field required"),
    "string_too_short": _("String should have at least {min_length} characters"),
    "string_too_long": _("String should have at most {max_length} characters"),
    "greater_than_equal": _("Input should be greater than or equal to {ge}"),
    "less_than_equal": _("Input should be less than or equal to {le}"),
    "greater_than": _("Input should be greater than {gt}"),
    "less_than": _("Input should be less than {lt}"),
    "int_parsing": _("Input should be a valid integer"),
    "bool_parsing": _("Input should be a valid boolean"),
    "string_type": _("Input should be a valid string"),
    "uuid_parsing": _("Input should be a valid UUID"),
    "enum": _("Input should be {expected}"),
    "extra_forbidden": _("Extra inputs are not permitted"),
}


def _message(error: dict[str, Any], locale: str) -> str:
    message = str(error.get("msg", "invalid value"))
    template = _PYDANTIC_MESSAGES.get(str(error.get("type")))
    context = error.get("ctx") or {}
    if locale != ENGLISH and template is not None:
        names = placeholders(template.msgid)
        if names <= context.keys():
            return translate(Message(template.msgid, **{n: context[n] for n in names}), locale)
    # pydantic prefixes messages of ValueErrors raised by our validators.
    return message.removeprefix("Value error, ")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(Replay, handle_replay)

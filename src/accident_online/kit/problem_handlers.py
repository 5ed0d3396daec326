"""Renders every error as an RFC 9457 problem document."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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
    problem = error.to_problem(instance=request.url.path, request_id=request_id)
    return ProblemResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=error.status_code,
        headers=error.headers,
    )


async def handle_app_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, AppError)
    return problem_response(request, exc)


async def handle_http_exception(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    error_class = STATUS_ERRORS.get(exc.status_code)
    headers = dict(exc.headers or {})
    if error_class is None:
        error: AppError = AppError(str(exc.detail), headers=headers)
        response = problem_response(request, error)
        response.status_code = exc.status_code
        return response
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail not in _GENERIC else None
    return problem_response(request, error_class(detail, headers=headers))


# Starlette's stock details ("Not Found") say less than our defaults.
_GENERIC = {"Not Found", "Method Not Allowed", "Unauthorized", "Forbidden", "Bad Request"}


async def handle_validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    items = [
        ProblemErrorItem(
            loc=[part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
            msg=_message(error),
            type=error.get("type"),
        )
        for error in exc.errors()
    ]
    return problem_response(request, ValidationFailed(errors=items))


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "invalid value"))
    # pydantic prefixes messages of ValueErrors raised by our validators.
    return message.removeprefix("Value error, ")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(Replay, handle_replay)

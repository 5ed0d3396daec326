"""The token endpoint's route: every failure of a token request is a token error.

OAuth clients read RFC 6749 §5.2's ``error`` and ``error_description`` (CONTRACT.md,
Additions of 2026-12-01). The endpoint's own errors carry them (auth.exceptions.
TokenError); what FastAPI and the app-wide checks refuse before or beside the endpoint
(form fields that do not validate, control characters, a malformed Basic header) is
raised as ``InvalidTokenRequest`` here, the same 422 with the same ``errors``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from accident_online.auth.exceptions import InvalidTokenRequest, TokenError
from accident_online.kit.i18n import request_locale
from accident_online.kit.problem_handlers import validation_items
from accident_online.kit.problems import ValidationFailed


class TokenRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def token_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                items = validation_items(error, request_locale(request.scope))
                raise InvalidTokenRequest(errors=items) from error
            except ValidationFailed as error:
                if isinstance(error, TokenError):
                    raise
                raise InvalidTokenRequest(
                    error.detail, errors=error.errors, headers=error.headers
                ) from error

        return token_handler

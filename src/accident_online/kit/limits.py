"""Request body size limits and per-client rate limits, answered as problems."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accident_online.kit.problems import (
    PROBLEM_MEDIA_TYPE,
    AppError,
    PayloadTooLarge,
    TooManyRequests,
    UnsupportedMediaType,
)

BodyTooLarge = PayloadTooLarge


class RateLimited(TooManyRequests):
    code = "rate-limited"
    title = "Too many requests"


class MultipartNotAccepted(UnsupportedMediaType):
    code = "multipart-not-accepted"
    title = "Multipart not accepted here"
    default_detail = "Only uploads take multipart/form-data; send this request as JSON."


class BodyLimitMiddleware:
    """Refuses request bodies over the limit: at once by Content-Length, else while reading.

    Multipart bodies get the upload limit (plus room for the form's own overhead), and
    only on the routes that take uploads: those that declare a multipart/form-data
    request body (the evidence upload). Anywhere else a multipart body is refused (415)
    before it is read, and every other body gets the (much smaller) JSON limit, whatever
    its content type says.
    """

    def __init__(self, app: ASGIApp, *, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit + 64 * 1024
        self._upload_routes: list[tuple[re.Pattern[str], set[str]]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = ""
        declared: int | None = None
        for key, value in scope.get("headers", []):
            if key == b"content-type":
                content_type = value.decode("latin-1").lower()
            elif key == b"content-length" and value.isdigit():
                declared = int(value)
        limit = self.json_limit
        if content_type.lstrip().startswith("multipart/"):
            if not self._takes_uploads(scope):
                await _send_problem(scope, send, MultipartNotAccepted())
                return
            limit = self.upload_limit
        if declared is not None and declared > limit:
            await _send_problem(scope, send, _too_large(limit))
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException, because FastAPI passes those through its body
                    # parsing (anything else becomes a 400); rendered as a 413 problem.
                    raise HTTPException(413, _too_large(limit).detail)
            return message

        await self.app(scope, counting_receive, send)

    def _takes_uploads(self, scope: Scope) -> bool:
        if self._upload_routes is None:
            # The app (set in the scope by Starlette) has all its routes by the first
            # request; they do not change afterwards.
            self._upload_routes = _upload_routes(scope["app"].routes)
        path, method = scope.get("path", ""), scope.get("method", "")
        return any(
            pattern.match(path) and method in methods for pattern, methods in self._upload_routes
        )


def _upload_routes(routes: list[BaseRoute]) -> list[tuple[re.Pattern[str], set[str]]]:
    return [
        (compile_path(context.path)[0], set(context.methods or ()))
        for context in iter_route_contexts(routes)
        if context.path
        and isinstance(context.original_route, APIRoute)
        and "multipart/form-data" in _request_body_types(context.original_route)
    ]


def _request_body_types(route: APIRoute) -> dict[str, Any]:
    content: dict[str, Any] = (route.openapi_extra or {}).get("requestBody", {}).get("content", {})
    return content


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than {limit} bytes.")


async def _send_problem(scope: Scope, send: Send, error: AppError) -> None:
    """Answers before the app is called (so before its exception handlers): by hand."""
    problem = error.to_problem(
        instance=scope.get("path", ""), request_id=scope.get("state", {}).get("request_id")
    )
    body = json.dumps(problem.model_dump(mode="json", exclude_none=True)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute, bursts up to ``burst``.

    In memory, so each API process counts on its own; with N processes behind a load
    balancer a client gets at most N times the rate.
    """

    per_minute: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def check(self, key: str) -> None:
        now = self.clock()
        rate = self.per_minute / 60
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=self.burst, updated=now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens < 1:
            retry_after = math.ceil((1 - bucket.tokens) / rate) if rate > 0 else 60
            raise RateLimited(
                f"Slow down: at most {self.per_minute:g} requests a minute.",
                headers={"Retry-After": str(retry_after)},
            )
        bucket.tokens -= 1
        if len(self._buckets) > 100_000:  # forget idle clients, bounding memory
            self._buckets = {k: b for k, b in self._buckets.items() if b.tokens < self.burst}

"""Request body size limits and per-client rate limits, answered as problems."""

from __future__ import annotations

import math
import re
import time
from typing import Any

import redis.asyncio
from fastapi.routing import APIRoute, iter_route_contexts
from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accident_online.kit.i18n import _
from accident_online.kit.problems import (
    AppError,
    PayloadTooLarge,
    TooManyRequests,
    UnsupportedMediaType,
    asgi_problem,
)

BodyTooLarge = PayloadTooLarge


class RateLimited(TooManyRequests):
    code = "rate-limited"
    title = _("Too many requests")


class MultipartNotAccepted(UnsupportedMediaType):
    code = "multipart-not-accepted"
    title = _("Multipart not accepted here")
    default_detail = _("Only uploads take multipart/form-data; send this request as JSON.")


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
                    raise HTTPException(
                        413, _("The request body is larger than {limit} bytes.", limit=limit)
                    )
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
    return PayloadTooLarge(_("The request body is larger than {limit} bytes.", limit=limit))


async def _send_problem(scope: Scope, send: Send, error: AppError) -> None:
    """Answers before the app is called (so before its exception handlers): by hand."""
    request_id = scope.get("state", {}).get("request_id")
    body, headers = asgi_problem(error, scope, request_id=request_id)
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [
                *headers,
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Limits:
    """Rate limits and sign-in lockouts, counted with the ``limits`` library.

    In memory by default (each API process counts alone: with N processes a client gets
    up to N times a rate); in Redis when ``REDIS_URL`` is set, so that every process
    shares one budget per key. Sliding-window counters: cheap in both storages, and a
    window's budget comes back gradually rather than all at once at a boundary.
    """

    def __init__(self, *, redis_url: str | None = None, key_prefix: str = "accident-online"):
        # Redis: the connections are ours (limits has no way to close its own), so that
        # the app's shutdown closes them (aclose); each is named after the key prefix,
        # which CLIENT LIST shows.
        self.redis_pool: redis.asyncio.ConnectionPool | None = None
        if redis_url:
            # limits wants "async+redis://"; settings take the ordinary "redis://" URL.
            plain = redis_url.removeprefix("async+")
            self.redis_pool = redis.asyncio.ConnectionPool.from_url(
                plain, client_name=re.sub(r"\s", "-", key_prefix)
            )
            self.storage: Storage = RedisStorage(
                "async+" + plain,
                implementation="redispy",
                key_prefix=key_prefix,
                connection_pool=self.redis_pool,  # type: ignore[arg-type]
            )
        else:
            self.storage = MemoryStorage()
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)

    async def aclose(self) -> None:
        """Closes the Redis connections (none to close in memory)."""
        if self.redis_pool is not None:
            await self.redis_pool.aclose()

    async def hit(self, item: RateLimitItem, *key: str, cost: int = 1) -> bool:
        """Counts ``cost`` against the budget; False (nothing counted) when it would overdraw."""
        return await self.strategy.hit(item, *key, cost=cost)

    async def test(self, item: RateLimitItem, *key: str) -> bool:
        """Whether one more hit fits, counting nothing."""
        return await self.strategy.test(item, *key)

    async def remaining(self, item: RateLimitItem, *key: str) -> int:
        return int((await self.strategy.get_window_stats(item, *key)).remaining)

    async def retry_after(self, item: RateLimitItem, *key: str) -> int:
        """Whole seconds until one more hit fits (at least 1), for ``Retry-After``."""
        stats = await self.strategy.get_window_stats(item, *key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def clear(self, item: RateLimitItem, *key: str) -> None:
        await self.strategy.clear(item, *key)

    async def check(self, item: RateLimitItem, *key: str) -> None:
        """Counts one request; raises 429 ``rate-limited`` with ``Retry-After`` over budget."""
        if not await self.hit(item, *key):
            raise await self.refusal(item, *key)

    async def refusal(self, item: RateLimitItem, *key: str) -> RateLimited:
        return RateLimited(
            _window_message(item),
            headers={"Retry-After": str(await self.retry_after(item, *key))},
        )


def per_minute(amount: float) -> RateLimitItem:
    """A budget of ``amount`` a minute (settings allow fractions; at least 1)."""
    return RateLimitItemPerMinute(max(1, round(amount)))


def per_seconds(amount: int, seconds: int) -> RateLimitItem:
    return RateLimitItemPerSecond(max(1, amount), max(1, seconds))


def _window_message(item: RateLimitItem) -> str:
    seconds = item.get_expiry()
    if seconds == 60:
        return _("Slow down: at most {limit} requests a minute.", limit=item.amount)
    return _(
        "Slow down: at most {limit} requests in {seconds} seconds.",
        limit=item.amount,
        seconds=seconds,
    )

"""Request body size limits and per-client rate limits, answered as problems."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accident_online.kit.i18n import _
from accident_online.kit.problems import PayloadTooLarge, TooManyRequests, asgi_problem

BodyTooLarge = PayloadTooLarge


class RateLimited(TooManyRequests):
    code = "rate-limited"
    title = _("Too many requests")


class BodyLimitMiddleware:
    """Refuses request bodies over the limit: at once by Content-Length, else while reading.

    Multipart bodies (evidence uploads) get the upload limit plus room for the form's
    own overhead; every other body the (much smaller) JSON limit.
    """

    def __init__(self, app: ASGIApp, *, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit + 64 * 1024

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
        limit = self.upload_limit if content_type.startswith("multipart/") else self.json_limit
        if declared is not None and declared > limit:
            await _refuse(scope, send, limit)
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


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    error = BodyTooLarge(_("The request body is larger than {limit} bytes.", limit=limit))
    request_id = scope.get("state", {}).get("request_id")
    body, headers = asgi_problem(error, scope, request_id=request_id)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
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
        if redis_url:
            # limits wants "async+redis://"; settings take the ordinary "redis://" URL.
            uri = redis_url if redis_url.startswith("async+") else "async+" + redis_url
            self.storage: Storage = RedisStorage(
                uri, implementation="redispy", key_prefix=key_prefix
            )
        else:
            self.storage = MemoryStorage()
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)

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

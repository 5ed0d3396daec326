"""Request body size limits and per-client rate limits, answered as problems."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

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
                _(
                    "Slow down: at most {limit} requests a minute.",
                    limit=format(self.per_minute, "g"),
                ),
                headers={"Retry-After": str(retry_after)},
            )
        bucket.tokens -= 1
        if len(self._buckets) > 100_000:  # forget idle clients, bounding memory
            self._buckets = {k: b for k, b in self._buckets.items() if b.tokens < self.burst}

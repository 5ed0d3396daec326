"""One delivery attempt: sign, post, read at most the excerpt, all within one deadline.

A partner's endpoint is not trusted to behave: its answer may be endless (only the
first ``EXCERPT_BYTES`` are read, then the connection is dropped), it may drip a byte
at a time (httpx's timeouts are per read, so the attempt has a deadline of its own
around connect, send and read together), it may be compressed (identity is asked
for and the raw bytes are read, so nothing is inflated).
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from accident_online.kit.signing import sign
from accident_online.kit.time import utc_now
from accident_online.models.partner import Partner
from accident_online.webhooks.repository import ClaimedMessage
from accident_online.webhooks.transport import BlockedAddress

MAX_RETRY_AFTER = timedelta(hours=24)
EXCERPT_BYTES = 1024


@dataclass(frozen=True)
class Outcome:
    message: ClaimedMessage
    started_at: datetime
    duration_ms: int
    status_code: int | None
    # delivered, http_error, timeout, connection_error, blocked, gone, disabled, no_endpoint
    kind: str
    error: str | None = None
    excerpt: str | None = None
    retry_after: timedelta | None = None
    # Bytes of the answer's body taken off the connection (the excerpt and at most one read).
    bytes_read: int = 0

    @property
    def delivered(self) -> bool:
        return self.kind == "delivered"


def not_sent(message: ClaimedMessage, kind: str, error: str) -> Outcome:
    """An attempt that sent nothing (e.g. to an endpoint just found gone)."""
    return Outcome(
        message=message,
        started_at=utc_now(),
        duration_ms=0,
        status_code=None,
        kind=kind,
        error=error,
    )


def parse_retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(timedelta(seconds=int(value)), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(when - now, timedelta(0)), MAX_RETRY_AFTER)


def next_attempt_delay(attempts_made: int, schedule: Sequence[float]) -> timedelta | None:
    """Delay before the next attempt, with ±20 % jitter; None when none is left."""
    if attempts_made > len(schedule):
        return None
    base = schedule[attempts_made - 1]
    return timedelta(seconds=base * random.uniform(0.8, 1.2))  # noqa: S311 (jitter, not crypto)


async def _excerpt(response: httpx.Response) -> tuple[bytes, int]:
    """The body's first EXCERPT_BYTES and how many bytes were read to get them."""
    kept = bytearray()
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        kept += chunk[: EXCERPT_BYTES - len(kept)]
        if len(kept) >= EXCERPT_BYTES:
            break  # leaving the stream unread closes the connection
    return bytes(kept), read


async def attempt(
    client: httpx.AsyncClient,
    message: ClaimedMessage,
    partner: Partner | None,
    *,
    deadline_seconds: float,
) -> Outcome:
    started_at = utc_now()
    clock = time.perf_counter()
    read = 0

    def outcome(kind: str, *, status_code: int | None = None, **fields: object) -> Outcome:
        duration = int((time.perf_counter() - clock) * 1000)
        return Outcome(
            message=message,
            started_at=started_at,
            duration_ms=duration,
            status_code=status_code,
            kind=kind,
            bytes_read=read,
            **fields,  # type: ignore[arg-type]
        )

    if partner is None or not partner.webhook_url:
        return outcome("no_endpoint", error="the partner has no webhook_url")
    if partner.webhook_disabled_at is not None:
        return outcome("disabled", error="the partner's endpoint is disabled")
    if partner.disabled_at is not None:
        # A disabled account receives nothing, personal data least of all; its messages
        # wait as `disabled` until an admin retries them (POST /v1/deliveries/{id}/retry).
        return outcome("disabled", error="the partner is disabled")
    secrets = [partner.webhook_secret]
    if (
        partner.previous_webhook_secret
        and (partner.previous_secret_expires_at or started_at) > started_at
    ):
        secrets.append(partner.previous_webhook_secret)
    headers = {
        "content-type": "application/json",
        "accept-encoding": "identity",
        "webhook-id": message.id,
        "webhook-timestamp": str(int(started_at.timestamp())),
        "webhook-signature": sign(
            secrets, msg_id=message.id, timestamp=started_at, body=message.body
        ),
    }
    try:
        async with asyncio.timeout(deadline_seconds):
            async with client.stream(
                "POST", partner.webhook_url, content=message.body.encode(), headers=headers
            ) as response:
                status = response.status_code
                retry_after = response.headers.get("retry-after")
                body, read = await _excerpt(response)
    except TimeoutError:
        return outcome("timeout", error=f"no complete answer within {deadline_seconds:g} s")
    except BlockedAddress as error:
        return outcome("blocked", error=str(error)[:500])
    except httpx.TimeoutException as error:
        return outcome("timeout", error=f"timed out: {type(error).__name__}")
    except httpx.HTTPError as error:
        return outcome("connection_error", error=f"{type(error).__name__}: {error}"[:500])
    excerpt = body.decode("utf-8", errors="replace")
    if 200 <= status < 300:
        return outcome("delivered", status_code=status, excerpt=excerpt)
    if status == 410:
        gone = "410 Gone: endpoint disabled"
        return outcome("gone", status_code=410, excerpt=excerpt, error=gone)
    return outcome(
        "http_error",
        status_code=status,
        excerpt=excerpt,
        error=f"HTTP {status}",
        retry_after=parse_retry_after(retry_after, now=started_at),
    )

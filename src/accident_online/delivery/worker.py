"""Sends the outbox: leased batches, signed Standard Webhooks, retries with backoff.

Shape chosen for throughput: one worker loop claims a batch in one statement, a fixed
set of sender tasks each with its own HTTP client (a shared client's pool bookkeeping
grows with concurrency) posts it, and the batch's outcomes are written in one
transaction. Any number of workers may run on one PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import os
import random
import socket
import ssl
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import certifi
import httpx

from accident_online.delivery import repository
from accident_online.delivery.repository import ClaimedMessage
from accident_online.kit.db import Database
from accident_online.kit.net import resolves_to_public_addresses_only
from accident_online.kit.signing import sign
from accident_online.kit.time import utc_now
from accident_online.models.partner import Partner
from accident_online.models.webhook import DeliveryStatus

logger = logging.getLogger("accident_online.delivery")

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

    @property
    def delivered(self) -> bool:
        return self.kind == "delivered"


@dataclass
class WorkerSettings:
    retry_schedule: Sequence[float]
    timeout_seconds: float
    allow_private_targets: bool
    batch_size: int = 200
    senders: int = 16
    idle_seconds: float = 0.2

    @property
    def lease(self) -> timedelta:
        """Long enough for a whole batch to time out, sender by sender; then it lapses."""
        rounds = -(-self.batch_size // self.senders)
        return timedelta(seconds=self.timeout_seconds * rounds + 5)


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


class AddressGuard:
    """Refuses private, loopback, link-local and metadata targets unless allowed."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._cache: dict[str, tuple[float, bool]] = {}

    async def is_allowed(self, url: str) -> bool:
        if self.allow_private:
            return True
        host = urlsplit(url).hostname or ""
        cached = self._cache.get(host)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        allowed = await resolves_to_public_addresses_only(host)
        self._cache[host] = (time.monotonic() + 60, allowed)
        return allowed


class DeliveryWorker:
    def __init__(
        self, database: Database, settings: WorkerSettings, *, name: str | None = None
    ) -> None:
        self.database = database
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.guard = AddressGuard(allow_private=settings.allow_private_targets)
        self.tls = ssl.create_default_context(cafile=certifi.where())
        self.delivered = 0
        self.failed = 0

    async def run(self, stop: asyncio.Event) -> None:
        clients = [self._client() for _ in range(self.settings.senders)]
        try:
            while not stop.is_set():
                try:
                    sent = await self.run_once(clients)
                except Exception:
                    logger.exception("delivery batch failed")
                    sent = 0
                if sent == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=self.settings.idle_seconds)
        finally:
            await asyncio.gather(*(client.aclose() for client in clients), return_exceptions=True)

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            # One TLS context for all senders: building one costs tens of milliseconds.
            verify=self.tls,
            timeout=httpx.Timeout(self.settings.timeout_seconds),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=8),
            headers={"user-agent": "accident-online-webhooks/1"},
        )

    async def run_once(self, clients: Sequence[httpx.AsyncClient] | None = None) -> int:
        """Claims one batch, sends it, records it; returns how many messages it tried."""
        now = utc_now()
        async with self.database.session(write=True) as session:
            batch = await repository.claim_due(
                session,
                worker=self.name,
                now=now,
                lease_until=now + self.settings.lease,
                limit=self.settings.batch_size,
            )
            partners = await repository.partners_by_id(
                session, sorted({m.partner_id for m in batch})
            )
        if not batch:
            return 0
        own_clients = clients is None
        senders = (
            list(clients) if clients else [self._client() for _ in range(self.settings.senders)]
        )
        try:
            outcomes = await self._send_all(batch, partners, senders)
        finally:
            if own_clients:
                await asyncio.gather(*(client.aclose() for client in senders))
        await self._record(outcomes)
        return len(batch)

    async def _send_all(
        self,
        batch: Sequence[ClaimedMessage],
        partners: dict[str, Partner],
        clients: Sequence[httpx.AsyncClient],
    ) -> list[Outcome]:
        queue: asyncio.Queue[ClaimedMessage] = asyncio.Queue()
        for message in batch:
            queue.put_nowait(message)
        outcomes: list[Outcome] = []

        async def sender(client: httpx.AsyncClient) -> None:
            while not queue.empty():
                message = queue.get_nowait()
                outcomes.append(await self._send(client, message, partners.get(message.partner_id)))

        await asyncio.gather(*(sender(client) for client in clients[: len(batch)]))
        return outcomes

    async def _send(
        self, client: httpx.AsyncClient, message: ClaimedMessage, partner: Partner | None
    ) -> Outcome:
        started_at = utc_now()
        clock = time.perf_counter()

        def outcome(
            kind: str,
            *,
            status_code: int | None,
            error: str | None = None,
            excerpt: str | None = None,
            retry_after: timedelta | None = None,
        ) -> Outcome:
            duration = int((time.perf_counter() - clock) * 1000)
            return Outcome(
                message=message,
                started_at=started_at,
                duration_ms=duration,
                status_code=status_code,
                kind=kind,
                error=error,
                excerpt=excerpt,
                retry_after=retry_after,
            )

        if partner is None or not partner.webhook_url:
            return outcome("no_endpoint", status_code=None, error="the partner has no webhook_url")
        if partner.webhook_disabled_at is not None:
            return outcome(
                "disabled", status_code=None, error="the endpoint answered 410 Gone before"
            )
        if not await self.guard.is_allowed(partner.webhook_url):
            return outcome(
                "blocked", status_code=None, error="the endpoint resolves to a private address"
            )
        secrets = [partner.webhook_secret]
        if (
            partner.previous_webhook_secret
            and (partner.previous_secret_expires_at or started_at) > started_at
        ):
            secrets.append(partner.previous_webhook_secret)
        headers = {
            "content-type": "application/json",
            "webhook-id": message.id,
            "webhook-timestamp": str(int(started_at.timestamp())),
            "webhook-signature": sign(
                secrets, msg_id=message.id, timestamp=started_at, body=message.body
            ),
        }
        try:
            response = await client.post(
                partner.webhook_url, content=message.body.encode(), headers=headers
            )
        except httpx.TimeoutException as error:
            return outcome("timeout", status_code=None, error=f"timed out: {type(error).__name__}")
        except httpx.HTTPError as error:
            return outcome(
                "connection_error", status_code=None, error=f"{type(error).__name__}: {error}"[:500]
            )
        excerpt = response.content[:EXCERPT_BYTES].decode("utf-8", errors="replace")
        if 200 <= response.status_code < 300:
            return outcome("delivered", status_code=response.status_code, excerpt=excerpt)
        if response.status_code == 410:
            return outcome(
                "gone", status_code=410, excerpt=excerpt, error="410 Gone: endpoint disabled"
            )
        return outcome(
            "http_error",
            status_code=response.status_code,
            excerpt=excerpt,
            error=f"HTTP {response.status_code}",
            retry_after=parse_retry_after(response.headers.get("retry-after"), now=started_at),
        )

    async def _record(self, outcomes: Sequence[Outcome]) -> None:
        now = utc_now()
        updates = []
        attempts = []
        gone: set[str] = set()
        for result in outcomes:
            made = result.message.attempts + 1
            attempts.append(
                {
                    "message_id": result.message.id,
                    "number": made,
                    "worker": self.name,
                    "started_at": result.started_at,
                    "duration_ms": result.duration_ms,
                    "status_code": result.status_code,
                    "outcome": result.kind,
                    "error": result.error,
                    "response_excerpt": result.excerpt,
                }
            )
            status, next_at = DeliveryStatus.pending, now
            if result.delivered:
                status = DeliveryStatus.delivered
                self.delivered += 1
            elif result.kind in ("gone", "disabled"):
                status = DeliveryStatus.disabled
                if result.kind == "gone":
                    gone.add(result.message.partner_id)
            else:
                self.failed += 1
                delay = next_attempt_delay(made, self.settings.retry_schedule)
                if delay is None:
                    status = DeliveryStatus.dead
                else:
                    next_at = now + max(delay, result.retry_after or timedelta(0))
            updates.append(
                {
                    "message_id": result.message.id,
                    "new_status": status.value,
                    "new_attempts": made,
                    "new_next_attempt_at": next_at,
                    "new_delivered_at": now if result.delivered else None,
                    "new_status_code": result.status_code,
                    "new_error": result.error,
                }
            )
        async with self.database.session(write=True) as session:
            await repository.record_outcomes(
                session, worker=self.name, updates=updates, attempts=attempts
            )
            await repository.disable_endpoints(session, sorted(gone), now=now)

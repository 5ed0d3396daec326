"""Sends the outbox: leased messages, signed Standard Webhooks, retries with backoff.

Shape: one loop claims as many due messages as there are free sender slots (one
statement), each message is sent by a task of its own on its slot's HTTP client (a
shared client's pool bookkeeping grows with concurrency), and outcomes are written by
a recorder as they come, several per transaction. Nothing waits for the slowest send:
a slot is free again as soon as its attempt ends, and each attempt ends by its
deadline (webhooks.attempt). No endpoint holds more than ``per_endpoint`` slots: its
further messages are not claimed meanwhile (or, claimed in the same statement, are
handed back at once), so a slow partner delays only itself. Any number of workers may
run on one PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import certifi
import httpx

from accident_online.kit.db import Database
from accident_online.kit.net import Resolver, system_resolver
from accident_online.kit.time import utc_now
from accident_online.models.partner import Partner
from accident_online.models.webhook import DeliveryStatus
from accident_online.webhooks import repository
from accident_online.webhooks.attempt import (
    Outcome,
    attempt,
    next_attempt_delay,
    parse_retry_after,
)
from accident_online.webhooks.repository import ClaimedMessage
from accident_online.webhooks.transport import CheckedBackend, checked_transport

__all__ = ["DeliveryWorker", "Outcome", "WorkerSettings", "parse_retry_after"]

logger = logging.getLogger("accident_online.webhooks")

# What a lease covers beyond the attempt's deadline: writing its outcome.
LEASE_GRACE = timedelta(seconds=30)


@dataclass
class WorkerSettings:
    retry_schedule: Sequence[float]
    timeout_seconds: float
    allow_private_targets: bool
    batch_size: int = 200
    senders: int = 16
    idle_seconds: float = 0.2
    per_endpoint: int = 8

    @property
    def lease(self) -> timedelta:
        """A message is sent as soon as it is claimed: its deadline, then its recording."""
        return timedelta(seconds=self.timeout_seconds) + LEASE_GRACE


class DeliveryWorker:
    def __init__(
        self,
        database: Database,
        settings: WorkerSettings,
        *,
        name: str | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.database = database
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.backend = CheckedBackend(
            resolver=resolver, allow_private=settings.allow_private_targets
        )
        self.tls = ssl.create_default_context(cafile=certifi.where())
        self.delivered = 0
        self.failed = 0
        # Answer bytes taken off connections, in all: bounded by the excerpt per attempt.
        self.bytes_read = 0
        self._in_flight: Counter[str] = Counter()  # partner id → messages being sent
        self._free: list[httpx.AsyncClient] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._slot_freed = asyncio.Event()

    def _client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
        return httpx.AsyncClient(
            # One TLS context for all senders: building one costs tens of milliseconds.
            transport=checked_transport(tls=self.tls, limits=limits, backend=self.backend),
            timeout=httpx.Timeout(self.settings.timeout_seconds),
            follow_redirects=False,
            headers={"user-agent": "accident-online-webhooks/1"},
        )

    async def run(self, stop: asyncio.Event) -> None:
        clients = [self._client() for _ in range(self.settings.senders)]
        self._free = list(clients)
        outcomes: asyncio.Queue[Outcome | None] = asyncio.Queue()
        recorder = asyncio.create_task(self._recorder(outcomes))
        try:
            while not stop.is_set():
                self._slot_freed.clear()
                started = 0
                if self._free:
                    try:
                        started = await self._lease_and_start(outcomes)
                    except Exception:
                        logger.exception("leasing deliveries failed")
                if started and self._free:
                    continue
                waits = [
                    asyncio.ensure_future(stop.wait()),
                    asyncio.ensure_future(self._slot_freed.wait()),
                ]
                _, pending = await asyncio.wait(
                    waits, timeout=self.settings.idle_seconds, return_when=asyncio.FIRST_COMPLETED
                )
                for waiting in pending:
                    waiting.cancel()
            # Every attempt ends by its deadline; their outcomes are written before leaving.
            await asyncio.gather(*self._tasks, return_exceptions=True)
        finally:
            outcomes.put_nowait(None)
            await recorder
            await asyncio.gather(*(client.aclose() for client in clients), return_exceptions=True)

    async def run_once(self) -> int:
        """Claims what the sender slots take, sends it, records it; how many it claimed."""
        clients = [self._client() for _ in range(self.settings.senders)]
        self._free = list(clients)
        outcomes: asyncio.Queue[Outcome | None] = asyncio.Queue()
        try:
            claimed = await self._lease_and_start(outcomes)
            await asyncio.gather(*self._tasks)
        finally:
            await asyncio.gather(*(client.aclose() for client in clients))
        results = []
        while not outcomes.empty():
            item = outcomes.get_nowait()
            assert item is not None
            results.append(item)
        await self._record(results)
        return claimed

    async def _lease_and_start(self, outcomes: asyncio.Queue[Outcome | None]) -> int:
        now = utc_now()
        busy = sorted(p for p, n in self._in_flight.items() if n >= self.settings.per_endpoint)
        async with self.database.session(write=True) as session:
            batch = await repository.claim_due(
                session,
                worker=self.name,
                now=now,
                lease_until=now + self.settings.lease,
                limit=min(len(self._free), self.settings.batch_size),
                skip_partners=busy,
            )
            partners = await repository.partners_by_id(
                session, sorted({m.partner_id for m in batch})
            )
        handed_back = []
        for message in batch:
            if self._in_flight[message.partner_id] >= self.settings.per_endpoint:
                handed_back.append(message.id)
                continue
            self._start(message, partners.get(message.partner_id), outcomes)
        if handed_back:
            async with self.database.session(write=True) as session:
                await repository.release(session, worker=self.name, message_ids=handed_back)
        return len(batch)

    def _start(
        self,
        message: ClaimedMessage,
        partner: Partner | None,
        outcomes: asyncio.Queue[Outcome | None],
    ) -> None:
        client = self._free.pop()
        self._in_flight[message.partner_id] += 1

        async def send() -> None:
            try:
                result = await attempt(
                    client, message, partner, deadline_seconds=self.settings.timeout_seconds
                )
                self.bytes_read += result.bytes_read
                outcomes.put_nowait(result)
            finally:
                self._free.append(client)
                self._in_flight[message.partner_id] -= 1
                if self._in_flight[message.partner_id] <= 0:
                    del self._in_flight[message.partner_id]
                self._slot_freed.set()

        task = asyncio.create_task(send())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _recorder(self, outcomes: asyncio.Queue[Outcome | None]) -> None:
        """Writes outcomes as they come: whatever is waiting goes in one transaction."""
        done = False
        while not done:
            batch: list[Outcome] = []
            item = await outcomes.get()
            while True:
                if item is None:
                    done = True
                else:
                    batch.append(item)
                if outcomes.empty():
                    break
                item = outcomes.get_nowait()
            if batch:
                try:
                    await self._record(batch)
                except Exception:
                    # The leases lapse and the messages are sent again: at least once.
                    logger.exception("recording delivery outcomes failed")

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

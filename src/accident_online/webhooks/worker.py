"""Sends the outbox: leased messages, signed Standard Webhooks, retries with backoff.

Shape: a claim loop leases due messages in batches into a queue per endpoint (partner),
at most a window of each (``per_endpoint`` × WINDOW_ROUNDS, within ``batch_size``), and
refills an endpoint's queue only once it is half empty: one claim per half window, not
one per message. Sender slots, each with an HTTP client of its own (a shared client's
pool bookkeeping grows with concurrency), take from the queues in turn, never more than
``per_endpoint`` at once for one endpoint; each attempt ends by its deadline
(webhooks.attempt). Outcomes are written by a recorder, all that wait in one
transaction. A slow endpoint delays only itself: it holds at most ``per_endpoint`` slots,
its full queue is not refilled, and a queued message whose lease would lapse before its
attempt could end is handed back unsent. Any number of workers may run on one PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
import uuid
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import certifi
import httpx

from accident_online.kit.db import Database
from accident_online.kit.net import Resolver, system_resolver
from accident_online.kit.time import utc_now
from accident_online.models.partner import Partner
from accident_online.webhooks import repository
from accident_online.webhooks.attempt import Outcome, attempt, not_sent, parse_retry_after
from accident_online.webhooks.recording import outcome_rows
from accident_online.webhooks.repository import ClaimedMessage
from accident_online.webhooks.transport import CheckedBackend, checked_transport

__all__ = ["DeliveryWorker", "Outcome", "WorkerSettings", "parse_retry_after"]

logger = logging.getLogger("accident_online.webhooks")

# What a lease covers beyond the attempt's deadline: waiting in its endpoint's queue
# (at most LEASE_GRACE - RECORD_MARGIN) and writing its outcome (RECORD_MARGIN).
LEASE_GRACE = timedelta(seconds=30)
RECORD_MARGIN = timedelta(seconds=15)
# How old the partners' rows may be that queued messages are sent by.
PARTNERS_FRESH = timedelta(seconds=1)
# An endpoint's queue holds this many rounds of its per_endpoint attempts.
WINDOW_ROUNDS = 8


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
        """A claimed message's time in its queue, its attempt's deadline, its recording."""
        return timedelta(seconds=self.timeout_seconds) + LEASE_GRACE

    @property
    def window(self) -> int:
        """How many of one endpoint's messages a worker holds at most, queued or sent."""
        return max(1, min(self.batch_size, self.per_endpoint * WINDOW_ROUNDS))


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
        # partner id → its claimed messages not sent yet, oldest due first, with their lease
        self._queued: dict[str, deque[tuple[ClaimedMessage, datetime]]] = {}
        self._in_flight: Counter[str] = Counter()  # partner id → messages being sent
        self._partners: dict[str, Partner] = {}  # as read by a claim, at _partners_read
        self._partners_read = datetime.min.replace(tzinfo=UTC)
        # Endpoints that answered 410 here → whether their disabling is committed yet.
        self._gone: dict[str, bool] = {}
        self._stale: list[str] = []  # queued too long: handed back by the next claim
        self._free: list[httpx.AsyncClient] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._outcomes: asyncio.Queue[Outcome | None] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._stopping = False
        # Sent (or being sent) and not recorded yet: at most one batch, so that a crash
        # sends at most one batch's messages twice.
        self._unrecorded = 0

    def _client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
        return httpx.AsyncClient(
            # One TLS context for all senders: building one costs tens of milliseconds.
            transport=checked_transport(tls=self.tls, limits=limits, backend=self.backend),
            timeout=httpx.Timeout(self.settings.timeout_seconds),
            follow_redirects=False,
            headers={"user-agent": "accident-online-webhooks/1"},
        )

    def _open(self) -> list[httpx.AsyncClient]:
        clients = [self._client() for _ in range(self.settings.senders)]
        self._free = list(clients)
        self._outcomes = asyncio.Queue()
        self._stopping = False
        return clients

    async def run(self, stop: asyncio.Event) -> None:
        clients = self._open()
        recorder = asyncio.create_task(self._recorder())
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    await self._claim()
                except Exception:
                    logger.exception("leasing deliveries failed")
                waits = [
                    asyncio.ensure_future(stop.wait()),
                    asyncio.ensure_future(self._wake.wait()),
                ]
                _, pending = await asyncio.wait(
                    waits, timeout=self.settings.idle_seconds, return_when=asyncio.FIRST_COMPLETED
                )
                for waiting in pending:
                    waiting.cancel()
        finally:
            # Every attempt ends by its deadline; their outcomes are written before leaving,
            # and what waits unsent is handed back for the next worker.
            try:
                await self._wind_down()
            finally:
                self._outcomes.put_nowait(None)
                await recorder
                await asyncio.gather(
                    *(client.aclose() for client in clients), return_exceptions=True
                )

    async def run_once(self) -> int:
        """Claims one round, sends all of it, records it; how many it claimed."""
        clients = self._open()
        try:
            claimed = await self._claim()
            while self._tasks:
                await asyncio.gather(*list(self._tasks))
        finally:
            try:
                await self._wind_down()
            finally:
                await asyncio.gather(*(client.aclose() for client in clients))
        results = []
        while not self._outcomes.empty():
            item = self._outcomes.get_nowait()
            assert item is not None
            results.append(item)
        await self._record(results)
        return claimed

    async def _wind_down(self) -> None:
        self._stopping = True
        unsent = [m.id for queue in self._queued.values() for m, _ in queue]
        self._queued.clear()
        unsent += self._stale
        self._stale = []
        try:
            if unsent:
                async with self.database.session(write=True) as session:
                    await repository.release(session, worker=self.name, message_ids=unsent)
        except Exception:
            logger.exception("handing back unsent deliveries failed")  # their leases lapse
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _held(self, partner_id: str) -> int:
        queue = self._queued.get(partner_id)
        return (len(queue) if queue else 0) + self._in_flight[partner_id]

    async def _claim(self) -> int:
        """One claim round: hands back the stale, leases what the queues have room for."""
        window = self.settings.window
        limit = self.settings.batch_size - sum(len(queue) for queue in self._queued.values())
        full = sorted(
            partner
            for partner in {*self._queued, *self._in_flight}
            if self._held(partner) > window // 2
        )
        stale, self._stale = self._stale, []
        if limit <= 0 and not stale:
            return 0
        # Disablings committed before this transaction begins are in what it reads.
        settled = [partner for partner, committed in self._gone.items() if committed]
        now = utc_now()
        lease_until = now + self.settings.lease
        claimed: list[ClaimedMessage] = []
        async with self.database.session(write=True) as session:
            await repository.release(session, worker=self.name, message_ids=stale)
            if limit > 0:
                claimed = await repository.claim_due(
                    session,
                    worker=self.name,
                    now=now,
                    lease_until=lease_until,
                    limit=limit,
                    skip_partners=full,
                    room=lambda partner: window - self._held(partner),
                )
            # Partners as they stand now for what is about to be sent; what waits queued
            # sees a change (disabled, say) within PARTNERS_FRESH at the latest.
            wanted = sorted({m.partner_id for m in claimed} | set(self._queued))
            if wanted and (claimed or now - self._partners_read > PARTNERS_FRESH):
                self._partners = await repository.partners_by_id(session, wanted)
                self._partners_read = now
        for partner in settled:
            self._gone.pop(partner, None)
        for message in claimed:
            self._queued.setdefault(message.partner_id, deque()).append((message, lease_until))
        self._dispatch()
        return len(claimed)

    def _dispatch(self) -> None:
        """Starts queued messages on free slots, endpoints in turn, none past per_endpoint."""
        if self._stopping:
            return
        needed = timedelta(seconds=self.settings.timeout_seconds) + RECORD_MARGIN
        progress = True
        while progress and self._free and self._queued and self._may_send():
            progress = False
            now = utc_now()
            for partner in list(self._queued):
                if not (self._free and self._may_send()):
                    break
                if self._in_flight[partner] >= self.settings.per_endpoint:
                    continue
                queue = self._queued.pop(partner)
                message, lease_until = queue.popleft()
                if queue:
                    self._queued[partner] = queue  # to the back: the next endpoint's turn
                progress = True
                if lease_until - now < needed:
                    self._stale.append(message.id)
                    self._wake.set()
                    continue
                self._start(message)

    def _may_send(self) -> bool:
        return self._unrecorded < self.settings.batch_size

    def _start(self, message: ClaimedMessage) -> None:
        client = self._free.pop()
        partner = message.partner_id
        self._in_flight[partner] += 1
        self._unrecorded += 1

        async def send() -> None:
            recorded = False
            try:
                if partner in self._gone:
                    result = not_sent(message, "disabled", "the partner's endpoint is disabled")
                else:
                    result = await attempt(
                        client,
                        message,
                        self._partners.get(partner),
                        deadline_seconds=self.settings.timeout_seconds,
                    )
                if result.kind == "gone":
                    self._gone.setdefault(partner, False)
                self.bytes_read += result.bytes_read
                self._outcomes.put_nowait(result)
                recorded = True
            finally:
                if not recorded:  # no outcome to write: its lease lapses
                    self._unrecorded -= 1
                self._free.append(client)
                self._in_flight[partner] -= 1
                if self._in_flight[partner] <= 0:
                    del self._in_flight[partner]
                if self._held(partner) == self.settings.window // 2:
                    self._wake.set()  # half empty: time to refill its queue
                self._dispatch()

        task = asyncio.create_task(send())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _recorder(self) -> None:
        """Writes outcomes as they come: whatever is waiting goes in one transaction."""
        done = False
        while not done:
            batch: list[Outcome] = []
            item = await self._outcomes.get()
            while True:
                if item is None:
                    done = True
                else:
                    batch.append(item)
                if self._outcomes.empty():
                    break
                item = self._outcomes.get_nowait()
            if batch:
                try:
                    await self._record(batch)
                except Exception:
                    # The leases lapse and the messages are sent again: at least once.
                    logger.exception("recording delivery outcomes failed")

    async def _record(self, outcomes: Sequence[Outcome]) -> None:
        if not outcomes:
            return
        now = utc_now()
        rows = outcome_rows(
            outcomes, worker=self.name, now=now, retry_schedule=self.settings.retry_schedule
        )
        try:
            async with self.database.session(write=True) as session:
                await repository.record_outcomes(
                    session, worker=self.name, updates=rows.updates, attempts=rows.attempts
                )
                await repository.disable_endpoints(session, sorted(rows.gone), now=now)
        finally:
            # Written, or left to their leases' lapse: either way no longer waiting here.
            self._unrecorded -= len(outcomes)
            self._dispatch()
        self.delivered += rows.delivered
        self.failed += rows.failed
        for partner in rows.gone:
            if partner in self._gone:
                self._gone[partner] = True

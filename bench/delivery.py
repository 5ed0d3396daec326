"""Outbox delivery: the project's DeliveryWorker versus plain httpx loops, same receiver.

For each backend (SQLite, PostgreSQL): a fresh database, migrated and seeded, and an
insurer partner whose webhook URL is a minimal HTTP/1.1 keep-alive receiver in a process
of its own (uvloop, an asyncio.Protocol answering ``200 ok`` to every request; it counts
what it receives, so every figure is checked against it). Then, in this one process:

- for each worker shape (``WorkerSettings(batch_size=..., senders=...)``): N outbox rows
  written with bulk SQL, ``DeliveryWorker.run`` started, timed until all N are delivered,
  and the rows checked (all ``delivered``, one attempt row each);
- the same N bodies posted to the same receiver by plain httpx loops: one shared
  ``AsyncClient`` with 32 concurrent posts, the same with 8, and one client per task
  (8 and 32 tasks).

    .venv/bin/python bench/delivery.py
    .venv/bin/python bench/delivery.py --backend postgresql --messages 5000
    .venv/bin/python bench/delivery.py --shapes 200x16 500x32
    .venv/bin/python bench/delivery.py --shapes 200x16x8 --endpoints 1 10

``--endpoints``: the messages of each worker shape go round-robin to this many partners
(all with the same receiver; each is an endpoint of its own for ``per_endpoint``).
An earlier tree's worker is measured by running this script with its sources first on
PYTHONPATH (docs/BENCHMARKS.md, "Delivery").

Goals (issue 6): the worker at least 0.5x the best plain loop in the same run, and about
500 deliveries/s or more from one worker process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, cast

import httpx
from deployment import BACKENDS, add_partner, fresh_database, migrate_and_seed, service_env
from machine import (
    describe_machine,
    format_table,
    machine_busy_seconds,
    print_machine,
    write_results,
)

from accident_online_testing.processes import free_port

GOAL_RATIO = 0.5
GOAL_ABSOLUTE = 500.0
DEFAULT_SHAPES = ["200x16", "100x8", "200x32", "500x32", "500x64"]

_OK = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"


class _Responder(asyncio.Protocol):
    """HTTP/1.1 keep-alive: reads each request (head and Content-Length body), answers 200."""

    def __init__(self, counter: list[int]) -> None:
        self.counter = counter
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport; they behave as one.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).lower()
            length = 0
            at = head.find(b"\r\ncontent-length:")
            if at >= 0:
                line_end = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : line_end if line_end >= 0 else len(head)])
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            del self.buffer[:total]
            if head.startswith(b"get /count"):
                body = str(self.counter[0]).encode()
                self.transport.write(
                    b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
                )
            else:
                self.counter[0] += 1
                self.transport.write(_OK)


def _serve_receiver(port: int, ready: Any) -> None:
    import uvloop

    async def serve() -> None:
        counter = [0]
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: _Responder(counter), "127.0.0.1", port, backlog=1024
        )
        ready.set()
        async with server:
            await server.serve_forever()

    uvloop.run(serve())


class Receiver:
    """The receiver in a process of its own, on a free loopback port; stopped by its pid."""

    def __init__(self) -> None:
        self.port = free_port()
        context = multiprocessing.get_context("fork")
        ready = context.Event()
        self.process = context.Process(target=_serve_receiver, args=(self.port, ready))
        self.process.start()
        if not ready.wait(10):
            self.stop()
            raise RuntimeError("the receiver did not start")
        self.url = f"http://127.0.0.1:{self.port}/hooks"

    def received(self) -> int:
        return int(httpx.get(f"http://127.0.0.1:{self.port}/count", timeout=5).text)

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(10)


def message_body(n: int) -> str:
    """A case.reported message as the outbox writes it (about 400 bytes)."""
    return json.dumps(
        {
            "type": "case.reported",
            "timestamp": datetime.now(UTC).isoformat(),
            "data": {
                "case_id": str(uuid.uuid4()),
                "case_number": f"LC20261128-{n % 10000:04d}",
                "case_version": 3,
                "status": "awaiting_evidence",
                "center_id": "dongchangfu",
                "seq": 1,
                "number": f"LC20261128-{n % 10000:04d}",
                "parties": 2,
                "insured_parties": [0],
            },
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


async def write_outbox(database: Any, partner_ids: list[str], bodies: list[str]) -> None:
    from accident_online.models.webhook import WebhookMessage
    from accident_online.webhooks.outbox import new_message_id

    table = WebhookMessage.__table__  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    rows = [
        {
            "id": new_message_id(),
            "partner_id": partner_ids[n % len(partner_ids)],
            "event_type": "case.reported",
            "case_id": None,
            "case_version": 3,
            "body": body,
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        for n, body in enumerate(bodies)
    ]
    async with database.engine.begin() as connection:
        for start in range(0, len(rows), 2000):
            await connection.execute(table.insert(), rows[start : start + 2000])


async def outbox_state(database: Any) -> dict[str, int]:
    from sqlalchemy import func, select

    from accident_online.models.webhook import WebhookAttempt, WebhookMessage

    async with database.engine.connect() as connection:
        statuses = dict(
            (
                await connection.execute(
                    select(WebhookMessage.status, func.count()).group_by(WebhookMessage.status)  # type: ignore[arg-type]
                )
            ).all()
        )
        attempts = (
            await connection.execute(select(func.count()).select_from(WebhookAttempt))
        ).scalar_one()
    return {**{str(k): int(v) for k, v in statuses.items()}, "attempts": int(attempts)}


@contextlib.contextmanager
def cpu_window() -> Any:
    """CPU seconds of this process and the machine's busy share over a block."""
    figures: dict[str, float] = {}
    cpu = time.process_time()
    busy, total = machine_busy_seconds()
    wall = time.perf_counter()
    yield figures
    figures["seconds"] = time.perf_counter() - wall
    figures["process_cpu"] = time.process_time() - cpu
    busy_end, total_end = machine_busy_seconds()
    figures["machine_busy"] = (busy_end - busy) / max(1e-9, total_end - total)


async def run_worker(
    database: Any, batch_size: int, senders: int, count: int, per_endpoint: int = 4
) -> dict[str, float]:
    from accident_online.webhooks.worker import DeliveryWorker, WorkerSettings

    worker = DeliveryWorker(
        database,
        WorkerSettings(
            retry_schedule=[5, 300],
            timeout_seconds=10,
            allow_private_targets=True,
            batch_size=batch_size,
            senders=senders,
            per_endpoint=per_endpoint,
            idle_seconds=0.01,
        ),
        name=f"bench-{batch_size}x{senders}x{per_endpoint}",
    )
    stop = asyncio.Event()
    with cpu_window() as figures:
        task = asyncio.create_task(worker.run(stop))
        while worker.delivered + worker.failed < count:
            await asyncio.sleep(0.002)
            if task.done():
                raise RuntimeError(f"the worker stopped: {task.exception()!r}")
    stop.set()
    await task
    figures["delivered"] = worker.delivered
    figures["failed"] = worker.failed
    return figures


async def plain_shared(url: str, bodies: list[str], concurrency: int) -> dict[str, float]:
    """One shared AsyncClient, ``concurrency`` tasks posting from one list."""
    async with httpx.AsyncClient(
        timeout=10, limits=httpx.Limits(max_connections=concurrency)
    ) as client:
        return await _plain(bodies, concurrency, lambda _: client, url)


async def plain_per_task(url: str, bodies: list[str], concurrency: int) -> dict[str, float]:
    """``concurrency`` tasks, each with an AsyncClient of its own."""
    clients = [httpx.AsyncClient(timeout=10) for _ in range(concurrency)]
    try:
        return await _plain(bodies, concurrency, lambda i: clients[i], url)
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


async def _plain(
    bodies: list[str], concurrency: int, client_for: Callable[[int], httpx.AsyncClient], url: str
) -> dict[str, float]:
    pending = iter(bodies)
    failures = 0
    headers = {"content-type": "application/json"}

    async def poster(index: int) -> None:
        nonlocal failures
        client = client_for(index)
        for body in pending:
            response = await client.post(url, content=body.encode(), headers=headers)
            if response.status_code != 200:
                failures += 1

    with cpu_window() as figures:
        await asyncio.gather(*(poster(i) for i in range(concurrency)))
    figures["delivered"] = len(bodies) - failures
    figures["failed"] = failures
    return figures


def summarise(label: str, figures: dict[str, float], count: int) -> dict[str, Any]:
    rate = figures["delivered"] / figures["seconds"]
    row = {
        "shape": label,
        "messages": count,
        "seconds": round(figures["seconds"], 2),
        "per_s": round(rate, 1),
        "failed": int(figures["failed"]),
        "process_cpu_share": round(figures["process_cpu"] / figures["seconds"], 2),
        "machine_busy": round(figures["machine_busy"], 2),
    }
    print(
        f"  {label:34} {rate:>8.1f}/s  ({count} in {figures['seconds']:.2f} s, "
        f"failed {row['failed']}, this process's cpu {row['process_cpu_share']:.2f}, "
        f"machine {row['machine_busy']:.2f})",
        flush=True,
    )
    return row


def partner_ids(endpoints: int) -> list[str]:
    return [f"picc-bench-{n}" for n in range(endpoints)]


async def bench_in_process(
    url: str,
    receiver: Receiver,
    shapes: list[tuple[int, ...]],
    count: int,
    endpoints: list[int],
) -> list[dict[str, Any]]:
    from accident_online.kit.db import Database, create_engine

    engine = create_engine(url, pool_size=10)
    database = Database(engine, url=url)
    rows = []
    try:
        for (batch_size, senders, *per), spread in itertools.product(shapes, endpoints):
            per_endpoint = per[0] if per else 8
            bodies = [message_body(n) for n in range(count)]
            await write_outbox(database, partner_ids(spread), bodies)
            before = receiver.received()
            figures = await run_worker(database, batch_size, senders, count, per_endpoint)
            row = summarise(
                f"DeliveryWorker batch={batch_size} senders={senders} per_endpoint={per_endpoint}"
                f" endpoints={spread}",
                figures,
                count,
            )
            state = await outbox_state(database)
            row["received"] = receiver.received() - before
            row["kind"] = "worker"
            row["outbox"] = state
            if state.get("pending", 0) or row["received"] != count:
                print(f"    check failed: outbox {state}, receiver got {row['received']}")
            rows.append(row)
            await _clear_outbox(database)

        bodies = [message_body(n) for n in range(count)]
        plain: list[tuple[str, Callable[[], Awaitable[dict[str, float]]]]] = [
            ("httpx shared client, 32 concurrent", lambda: plain_shared(receiver.url, bodies, 32)),
            ("httpx shared client, 8 concurrent", lambda: plain_shared(receiver.url, bodies, 8)),
            ("httpx client per task, 8 tasks", lambda: plain_per_task(receiver.url, bodies, 8)),
            ("httpx client per task, 32 tasks", lambda: plain_per_task(receiver.url, bodies, 32)),
        ]
        for label, run in plain:
            before = receiver.received()
            row = summarise(label, await run(), count)
            row["received"] = receiver.received() - before
            row["kind"] = "plain"
            rows.append(row)
    finally:
        await database.dispose()
    return rows


async def _clear_outbox(database: Any) -> None:
    from sqlalchemy import delete

    from accident_online.models.webhook import WebhookAttempt, WebhookMessage

    async with database.engine.begin() as connection:
        await connection.execute(delete(WebhookAttempt))
        await connection.execute(delete(WebhookMessage))


def bench_backend(
    backend: str, shapes: list[tuple[int, ...]], count: int, endpoints: list[int]
) -> dict[str, Any]:
    import uvloop

    print(f"\n== {backend} ==", flush=True)
    receiver = Receiver()
    try:
        with fresh_database(backend) as database:
            env = service_env(database)
            migrate_and_seed(env)
            for n, partner_id in enumerate(partner_ids(max(endpoints))):
                add_partner(
                    env,
                    partner_id,
                    kind="insurer",
                    webhook_url=f"{receiver.url}/{partner_id}",
                    insurer_codes=[f"PICC{n}"],
                )
            rows = uvloop.run(bench_in_process(database.url, receiver, shapes, count, endpoints))
    finally:
        receiver.stop()
    return {"backend": backend, "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--messages", type=int, default=6000, help="per measurement")
    parser.add_argument(
        "--shapes",
        nargs="+",
        default=DEFAULT_SHAPES,
        help="worker shapes, BATCHxSENDERS[xPER_ENDPOINT]",
    )
    parser.add_argument(
        "--endpoints",
        nargs="+",
        type=int,
        default=[1],
        help="how many partners the messages go to (each count measured per shape)",
    )
    args = parser.parse_args()
    shapes = [tuple(int(x) for x in shape.split("x")) for shape in args.shapes]

    machine = describe_machine()
    print_machine(machine)
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    results = [
        bench_backend(b, shapes, args.messages, args.endpoints)  # type: ignore[arg-type]
        for b in backends
    ]

    table = []
    for result in results:
        rows = result["rows"]
        best_plain = max((r for r in rows if r["kind"] == "plain"), key=lambda r: r["per_s"])
        best_worker = max((r for r in rows if r["kind"] == "worker"), key=lambda r: r["per_s"])
        for row in rows:
            table.append(
                {
                    "backend": result["backend"],
                    "shape": row["shape"],
                    "per s": row["per_s"],
                    "x best plain": round(row["per_s"] / best_plain["per_s"], 2),
                    "cpu": row["process_cpu_share"],
                    "failed": row["failed"],
                    "received": row["received"],
                }
            )
        ratio = best_worker["per_s"] / best_plain["per_s"]
        result["best_worker"] = best_worker["shape"]
        result["best_plain"] = best_plain["shape"]
        result["ratio"] = round(ratio, 2)
        print(
            f"\n{result['backend']}: best worker {best_worker['shape']} {best_worker['per_s']}/s; "
            f"best plain loop {best_plain['shape']} {best_plain['per_s']}/s; ratio {ratio:.2f} "
            f"(goal >= {GOAL_RATIO}: {'met' if ratio >= GOAL_RATIO else 'NOT met'}; "
            f">= {GOAL_ABSOLUTE:.0f}/s: "
            f"{'met' if best_worker['per_s'] >= GOAL_ABSOLUTE else 'NOT met'})"
        )
    print()
    print(format_table(table, list(table[0])))
    path = write_results("delivery", {"machine": machine, "args": vars(args), "backends": results})
    print(f"\nfigures kept in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

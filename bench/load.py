"""The load generator, and the requests the benchmarks send.

Connections are driven from one or more generator processes; each records latencies
and statuses, and the results are merged into one ``LoadResult``. The requests
themselves come from request_factories.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from machine import machine_busy_seconds, process_cpu_seconds


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


class RequestFactory(Protocol):
    """Makes the n-th request of one generator process (n counts from 0)."""

    def __call__(self, n: int) -> Request: ...


@dataclass
class LoadResult:
    connections: int
    seconds: float
    ok: int
    errors: int
    statuses: dict[int, int]
    latencies_ms: list[float]  # of the successful requests, sorted
    generator_cpu: float  # CPU seconds used by the generator processes
    server_cpu: float = 0.0  # CPU seconds used by the server process
    machine_busy: float = 0.0  # share of all cores busy during the window
    first_error: str | None = None

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        index = min(len(self.latencies_ms) - 1, round(p / 100 * (len(self.latencies_ms) - 1)))
        return self.latencies_ms[index]

    def summary(self) -> dict[str, Any]:
        return {
            "connections": self.connections,
            "seconds": round(self.seconds, 2),
            "requests_ok": self.ok,
            "errors": self.errors,
            "throughput_per_s": round(self.throughput, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p99_ms": round(self.percentile(99), 2),
            "max_ms": round(self.latencies_ms[-1], 2) if self.latencies_ms else None,
            "server_cpu_share_of_core": round(self.server_cpu / self.seconds, 2),
            "generator_cpu_share_of_core": round(self.generator_cpu / self.seconds, 2),
            "machine_busy_share": round(self.machine_busy, 2),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "first_error": self.first_error,
        }


@dataclass
class _Tally:
    ok: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    first_error: str | None = None

    def record(self, status: int, seconds: float, expect: frozenset[int], detail: bytes) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status in expect:
            self.ok += 1
            self.latencies.append(seconds * 1000)
        else:
            self.errors += 1
            if self.first_error is None:
                self.first_error = f"HTTP {status}: {detail[:300].decode(errors='replace')}"

    def failed(self, error: BaseException) -> None:
        self.errors += 1
        self.statuses[0] = self.statuses.get(0, 0) + 1
        if self.first_error is None:
            self.first_error = f"{type(error).__name__}: {error}"


class _RawConnection:
    """HTTP/1.1 keep-alive over asyncio streams: what wrk does, at a fraction of httpx's cost."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.host = f"127.0.0.1:{port}".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: Request) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = [f"{request.method} {request.path} HTTP/1.1".encode(), b"Host: " + self.host]
        head += [f"{k}: {v}".encode() for k, v in request.headers]
        if request.body or request.method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(request.body)}".encode())
        self.writer.write(b"\r\n".join(head) + b"\r\n\r\n" + request.body)
        raw_head = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw_head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = None
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                length = int(value)
            elif lowered == b"connection" and value.strip().lower() == b"close":
                close = True
        if length is None:
            raise RuntimeError("a response without Content-Length")
        body = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


class _HttpxConnection:
    """One httpx.AsyncClient per connection (a shared client's pool bookkeeping is slow)."""

    def __init__(self, port: int) -> None:
        self.client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            timeout=60,
        )

    async def send(self, request: Request) -> tuple[int, bytes]:
        response = await self.client.request(
            request.method, request.path, headers=dict(request.headers), content=request.body
        )
        return response.status_code, response.content

    async def close(self) -> None:
        await self.client.aclose()


async def _drive(
    port: int,
    connections: int,
    seconds: float,
    warmup: float,
    factory: RequestFactory,
    expect: frozenset[int],
    client: str,
    start_at: float,
) -> tuple[_Tally, float, float]:
    """Keeps ``connections`` requests in flight; counts only those started in the window."""
    tally = _Tally()
    counter = iter(range(10**12))
    # Every generator process starts its window at the same wall-clock moment.
    await asyncio.sleep(max(0.0, start_at - time.time()))
    loop = asyncio.get_running_loop()
    window_start = loop.time() + warmup
    window_end = window_start + seconds
    cpu_start: float | None = None

    async def one_connection() -> None:
        nonlocal cpu_start
        connection: _RawConnection | _HttpxConnection = (
            _RawConnection(port) if client == "raw" else _HttpxConnection(port)
        )
        try:
            while True:
                request = factory(next(counter))
                started = time.perf_counter()
                if started >= window_end:
                    return
                counted = started >= window_start
                if counted and cpu_start is None:
                    cpu_start = time.process_time()
                try:
                    status, body = await connection.send(request)
                except (OSError, RuntimeError, asyncio.IncompleteReadError, httpx.HTTPError) as e:
                    if counted:
                        tally.failed(e)
                    await connection.close()
                    if client == "httpx":
                        connection = _HttpxConnection(port)
                    continue
                if counted:
                    tally.record(status, time.perf_counter() - started, expect, body)
        finally:
            await connection.close()

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    ended = loop.time()
    cpu = time.process_time() - (cpu_start if cpu_start is not None else time.process_time())
    return tally, cpu, ended - window_start


def _generator_process(
    conn: Any,
    port: int,
    connections: int,
    seconds: float,
    warmup: float,
    factory: RequestFactory,
    expect: frozenset[int],
    client: str,
    start_at: float,
) -> None:
    import uvloop

    tally, cpu, elapsed = uvloop.run(
        _drive(port, connections, seconds, warmup, factory, expect, client, start_at)
    )
    conn.send((tally, cpu, elapsed))
    conn.close()


def run_load(
    *,
    port: int,
    server_pid: int | None,
    connections: int,
    seconds: float,
    factory_for: Callable[[int], RequestFactory],
    expect: frozenset[int] = frozenset({200}),
    warmup: float = 2.0,
    generators: int = 1,
    client: str = "raw",
) -> LoadResult:
    """Drives the server for ``warmup + seconds``; measures only the last ``seconds``.

    The load comes from ``generators`` separate processes (each running uvloop) that
    share the connections between them; ``factory_for(i)`` gives generator i its requests.
    Only requests started inside the window count, and the window closes when the last of
    them has answered, so throughput is answered requests over the real window.
    """
    context = multiprocessing.get_context("fork")
    start_at = time.time() + 0.5
    shares = [
        connections // generators + (1 if i < connections % generators else 0)
        for i in range(generators)
    ]
    pipes = []
    processes = []
    for index, share in enumerate(shares):
        parent, child = context.Pipe(duplex=False)
        process = context.Process(
            target=_generator_process,
            args=(
                child,
                port,
                share,
                seconds,
                warmup,
                factory_for(index),
                expect,
                client,
                start_at,
            ),
            daemon=True,
        )
        process.start()
        child.close()
        pipes.append(parent)
        processes.append(process)
    # Server and machine CPU over the measured window (the warm-up is left out).
    time.sleep(max(0.0, start_at + warmup - time.time()))
    server_cpu_start = process_cpu_seconds(server_pid) if server_pid else 0.0
    busy_start, total_start = machine_busy_seconds()
    results = [pipe.recv() for pipe in pipes]
    server_cpu = (process_cpu_seconds(server_pid) - server_cpu_start) if server_pid else 0.0
    busy_end, total_end = machine_busy_seconds()
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
            process.join()
    tallies = [tally for tally, _, _ in results]
    statuses: dict[int, int] = {}
    for tally in tallies:
        for status, count in tally.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    elapsed = max(window for _, _, window in results)
    return LoadResult(
        connections=connections,
        seconds=elapsed,
        ok=sum(t.ok for t in tallies),
        errors=sum(t.errors for t in tallies),
        statuses=statuses,
        latencies_ms=sorted(x for t in tallies for x in t.latencies),
        generator_cpu=sum(cpu for _, cpu, _ in results),
        server_cpu=server_cpu,
        machine_busy=(busy_end - busy_start) / max(1e-9, total_end - total_start),
        first_error=next((t.first_error for t in tallies if t.first_error), None),
    )


ASGIApp = Callable[..., Awaitable[None]]


async def call_asgi(app: ASGIApp, request: Request) -> tuple[int, bytes]:
    """One request straight into the ASGI app: what uvicorn would hand it."""
    body_sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal body_sent
        if body_sent:
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}
        body_sent = True
        return {"type": "http.request", "body": request.body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    headers = [(k.lower().encode(), v.encode()) for k, v in request.headers]
    headers.append((b"host", b"bench"))
    if request.body:
        headers.append((b"content-length", str(len(request.body)).encode()))
    path, _, query = request.path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    await app(scope, receive, send)
    return status, b"".join(chunks)

"""What the benchmarks share: fresh databases, a real server process, a load generator.

Everything binds and connects to 127.0.0.1 only. Every process started here is stopped
here, by its own pid. Nothing in this module knows about accidents except the report
request factory near the end, which builds a realistic two-party report.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CLI = VENV_BIN / "accident-online"
POSTGRES_ADMIN_DSN = os.environ.get(
    "ACCIDENT_ONLINE_BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
JWT_SECRET = "bench-signing-key-" + "x" * 32
BACKENDS = ("sqlite", "postgresql")


# --- The machine ------------------------------------------------------------------------


def describe_machine() -> dict[str, str]:
    """Cores, memory, CPU model, Python and PostgreSQL versions, read now."""
    cpu_model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    try:
        postgres = asyncio.run(_postgres_version())
    except (OSError, asyncpg.PostgresError) as error:
        postgres = f"unreachable ({error})"
    return {
        "commit": _commit(),
        "cores": str(os.cpu_count()),
        "cpu": cpu_model,
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": postgres,
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _commit() -> str:
    """The checkout's commit, and whether src/ had uncommitted changes (read-only git)."""
    try:
        head = subprocess.run(  # noqa: S603 (fixed arguments)
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],  # noqa: S607 (git on PATH)
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603 (fixed arguments)
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} (src/ with uncommitted changes)" if dirty else head


async def _postgres_version() -> str:
    connection = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


class PostgresWaits:
    """Samples what one database's backends wait on (pg_stat_activity), in a thread.

    Tells whether intake queues on locks (``Lock:transactionid``, ``Lock:tuple``), on
    commits (``IO:WALSync``/``LWLock:WALWrite``) or on the client (``Client:ClientRead``:
    the backend waits for the application to send the next statement).
    """

    def __init__(self, database: str, every: float = 0.05) -> None:
        self.database = database
        self.every = every
        self.counts: dict[str, int] = {}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._sample()), daemon=True)

    async def _sample(self) -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
        try:
            while not self._stop.is_set():
                rows = await connection.fetch(
                    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE datname = $1 AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend'",
                    self.database,
                )
                self.samples += 1
                for state, kind, event in rows:
                    key = f"{state}: {kind}:{event}" if kind else f"{state}: on CPU"
                    self.counts[key] = self.counts.get(key, 0) + 1
                await asyncio.sleep(self.every)
        finally:
            await connection.close()

    def __enter__(self) -> PostgresWaits:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def average(self) -> dict[str, float]:
        """Backends in each state, on average over the samples, most first."""
        ranked = sorted(self.counts.items(), key=lambda item: -item[1])
        return {key: round(count / max(1, self.samples), 2) for key, count in ranked}


def print_machine(machine: dict[str, str]) -> None:
    print("machine:")
    for key, value in machine.items():
        print(f"  {key}: {value}")


# --- Fresh databases ----------------------------------------------------------------------


@dataclass
class FreshDatabase:
    backend: str
    url: str  # SQLAlchemy URL the service uses
    var_dir: Path


@contextlib.contextmanager
def fresh_database(backend: str) -> Iterator[FreshDatabase]:
    """An empty database (a SQLite file in a temp dir, or a new PostgreSQL one), dropped after."""
    directory = Path(tempfile.mkdtemp(prefix=f"ao-bench-{backend}-"))
    name = f"ao_bench_{uuid.uuid4().hex[:12]}"
    try:
        if backend == "sqlite":
            yield FreshDatabase(backend, f"sqlite+aiosqlite:///{directory / name}.db", directory)
        else:
            asyncio.run(_postgres_admin(f'CREATE DATABASE "{name}"'))
            try:
                base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0]
                url = base.replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
                yield FreshDatabase(backend, url, directory)
            finally:
                asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


async def _postgres_admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def service_env(database: FreshDatabase, **overrides: str) -> dict[str, str]:
    """The environment every command and server of one benchmark run gets."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("ACCIDENT_ONLINE_")
    }
    env.update(
        {
            "ACCIDENT_ONLINE_DATABASE_URL": database.url,
            "ACCIDENT_ONLINE_VAR_DIR": str(database.var_dir / "var"),
            "ACCIDENT_ONLINE_JWT_SECRET": JWT_SECRET,
            "ACCIDENT_ONLINE_LOG_LEVEL": "WARNING",
            "ACCIDENT_ONLINE_RUN_DELIVERY_WORKER": "false",
            "ACCIDENT_ONLINE_RATE_LIMIT_REPORTS_PER_MINUTE": "100000000",
            "ACCIDENT_ONLINE_RATE_LIMIT_SIGN_IN_PER_MINUTE": "100000",
        }
    )
    env.update(overrides)
    return env


def cli_of(tree: Path, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The ``accident-online`` command of a source tree and the environment it runs in:
    this checkout's installed command, or another tree's sources (a ``git worktree`` of
    an earlier commit, bench/ab_intake.py) run by the same venv's Python."""
    if tree == ROOT:
        return [str(CLI)], env
    return [sys.executable, "-m", "accident_online"], {**env, "PYTHONPATH": str(tree / "src")}


def run_cli(
    args: Sequence[str], env: dict[str, str], *, stdin: str | None = None, tree: Path = ROOT
) -> str:
    """Runs ``accident-online ARGS``; returns its standard output, fails loudly."""
    command, env = cli_of(tree, env)
    result = subprocess.run(  # noqa: S603 (our own executable, fixed arguments)
        [*command, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        cwd=tree,
    )
    if result.returncode != 0:
        raise RuntimeError(f"accident-online {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def migrate_and_seed(env: dict[str, str], *, tree: Path = ROOT) -> None:
    run_cli(["migrate"], env, tree=tree)
    run_cli(["seed"], env, tree=tree)


def add_partner(
    env: dict[str, str],
    partner_id: str,
    *,
    kind: str,
    webhook_url: str | None = None,
    insurer_codes: Sequence[str] = (),
    tree: Path = ROOT,
) -> dict[str, Any]:
    args = ["partners", "add", partner_id, "--kind", kind, "--name", f"bench {partner_id}"]
    if webhook_url:
        args += ["--webhook-url", webhook_url]
    for code in insurer_codes:
        args += ["--insurer-code", code]
    created: dict[str, Any] = json.loads(run_cli(args, env, tree=tree))
    return created


# --- A real server process ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def status_field(pid: int, name: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return "?"


def kib_to_mib(value: str) -> float:
    return int(value.split()[0]) / 1024


class Server:
    """``accident-online serve`` (uvicorn, one worker) on a free loopback port."""

    def __init__(self, env: dict[str, str], log_path: Path, *, tree: Path = ROOT) -> None:
        self.port = free_port()
        self.log_path = log_path
        self._log = log_path.open("wb")
        command, env = cli_of(tree, env)
        self.process = subprocess.Popen(  # noqa: S603 (our own executable, fixed arguments)
            [*command, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=tree,
        )
        self.base_url = f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log_path.read_text()}")

    def check_alive(self) -> None:
        """Fails with the exit code and the log's tail if the server has gone."""
        code = self.process.poll()
        if code is not None:
            self._log.flush()
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the server exited with code {code} during the run:\n{tail}")

    def peak_rss_mib(self) -> float:
        return kib_to_mib(status_field(self.pid, "VmHWM"))

    def rss_mib(self) -> float:
        return kib_to_mib(status_field(self.pid, "VmRSS"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self) -> Server:
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def token_for_client(base_url: str, client_id: str, client_secret: str) -> str:
    response = httpx.post(
        f"{base_url}/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        },
        timeout=30,
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def token_for_user(base_url: str, username: str, password: str) -> str:
    response = httpx.post(
        f"{base_url}/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
        timeout=30,
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


# --- The load generator -------------------------------------------------------------------


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


# --- Requests -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Get:
    """The same GET every time."""

    path: str
    headers: tuple[tuple[str, str], ...] = ()

    def __call__(self, n: int) -> Request:
        return Request("GET", self.path, self.headers)


@dataclass(frozen=True)
class RotatingGet:
    """GETs cycling through a list of paths (e.g. several case ids)."""

    paths: tuple[str, ...]
    headers: tuple[tuple[str, str], ...] = ()

    def __call__(self, n: int) -> Request:
        return Request("GET", self.paths[n % len(self.paths)], self.headers)


# Plate serials: GA 36-2018 letters and digits, I and O never issued.
_SERIAL = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def plate_serial(n: int) -> str:
    """Five serial characters from a number below 34**5 (45 million distinct plates)."""
    chars = []
    for _ in range(5):
        n, digit = divmod(n, len(_SERIAL))
        chars.append(_SERIAL[digit])
    return "".join(reversed(chars))


def report_body(n: int, *, occurred_at: datetime) -> dict[str, Any]:
    """The two-party example report of the API docs; plates differ with ``n``."""
    from accident_online.intake.schemas import EXAMPLE_REPORT

    body = copy.deepcopy(EXAMPLE_REPORT)
    body["occurred_at"] = occurred_at.isoformat()
    for index, party in enumerate(body["parties"]):
        party["plate"] = f"鲁P{plate_serial(2 * n + index)}"
    return body


@dataclass(frozen=True)
class ReportPosts:
    """POST /v1/reports, each with its own Idempotency-Key and its own two plates.

    ``offset`` keeps the plates of generator processes (and of runs) apart.
    """

    token: str
    offset: int
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(minutes=10))
    # /v1/eligibility takes the same body and stores nothing.
    path: str = "/v1/reports"

    def __call__(self, n: int) -> Request:
        body = json.dumps(
            report_body(self.offset + n, occurred_at=self.occurred_at),
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        return Request(
            "POST",
            self.path,
            (
                ("Authorization", f"Bearer {self.token}"),
                ("Content-Type", "application/json"),
                ("Idempotency-Key", uuid.uuid4().hex),
            ),
            body,
        )


def format_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """A Markdown table of ``rows`` (missing cells blank)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """Keeps a run's figures as JSON under bench/results/ (git-ignored by its own file)."""
    directory = ROOT / "bench" / "results"
    directory.mkdir(exist_ok=True)
    ignore = directory / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{name}-{stamp}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    return path

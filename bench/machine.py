"""The machine a benchmark runs on, what its processes use, and where the figures go.

The description (CPU, memory, versions, commit) heads every result; CPU and memory are
read from /proc; the waits of PostgreSQL's backends are sampled while a load runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import subprocess
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from accident_online_testing.databases import DEFAULT_ADMIN_DSN, PostgresServer

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = PostgresServer(os.environ.get("ACCIDENT_ONLINE_BENCH_POSTGRES_DSN", DEFAULT_ADMIN_DSN))


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
    connection = await asyncpg.connect(POSTGRES.admin_dsn, timeout=5)
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
        connection = await asyncpg.connect(POSTGRES.admin_dsn, timeout=5)
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
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    return path

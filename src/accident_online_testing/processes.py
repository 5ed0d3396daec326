"""Processes of the service: the command line, free ports, readiness, stopping by pid.

Every server started here binds 127.0.0.1 and is stopped by its own pid: SIGTERM, and
SIGKILL for one still running after a grace period.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

# A bound, not a wait: readiness is polled. Generous because a loaded CI machine starts a
# server (imports, migrations, seeding) in tens of seconds.
READY_SECONDS = 120.0
_POLL_SECONDS = 0.05


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def command(*args: str) -> list[str]:
    """The ``accident-online`` command line, run by this interpreter."""
    return [sys.executable, "-m", "accident_online", *args]


class ServiceDied(RuntimeError):
    """The process ended while it was expected to serve."""


def wait_ready(
    url: str,
    process: subprocess.Popen[bytes],
    *,
    path: str = "/readyz",
    timeout: float = READY_SECONDS,
) -> None:
    """Returns once ``url + path`` answers 200; raises if the process ends first or the
    time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceDied(f"the process serving {url} exited with {process.returncode}")
        try:
            if httpx.get(f"{url}{path}", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(_POLL_SECONDS)
    raise TimeoutError(f"{url} was not ready within {timeout} s")


async def wait_ready_async(
    url: str, process: subprocess.Popen[bytes], *, path: str = "/readyz"
) -> None:
    """``wait_ready`` for callers inside an event loop."""
    async with asyncio.timeout(READY_SECONDS), httpx.AsyncClient() as client:
        while True:
            if process.poll() is not None:
                raise ServiceDied(f"the process serving {url} exited with {process.returncode}")
            try:
                if (await client.get(f"{url}{path}", timeout=2)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(_POLL_SECONDS)


def stop(*processes: subprocess.Popen[bytes], grace: float = 15) -> None:
    """SIGTERM to each (by its own pid), then SIGKILL to any still running after ``grace``."""
    for process in processes:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


class ServerProcess:
    """``accident-online serve`` on a free loopback port, its output in ``log_path``.

    As a context manager it waits until the server is ready and stops it at the end.
    """

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        args: tuple[str, ...] = (),
        ready_path: str = "/readyz",
        cwd: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.ready_path = ready_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 (our own command line)
            command("serve", "--host", "127.0.0.1", "--port", str(self.port), *args),
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, characters: int = 3000) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-characters:]

    def wait_ready(self, timeout: float = READY_SECONDS) -> None:
        try:
            wait_ready(self.base_url, self.process, path=self.ready_path, timeout=timeout)
        except (ServiceDied, TimeoutError) as error:
            raise ServiceDied(f"{error}:\n{self.log_tail()}") from error

    def check_alive(self) -> None:
        """Fails with the exit code and the log's tail if the server has gone."""
        code = self.process.poll()
        if code is not None:
            raise ServiceDied(f"the server exited with code {code}:\n{self.log_tail()}")

    def stop(self) -> None:
        stop(self.process)
        self._log.close()

    def __enter__(self) -> ServerProcess:
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

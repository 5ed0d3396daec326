"""A real HTTP webhook receiver on 127.0.0.1, scripted to fail as a test needs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
import uvicorn


@dataclass
class Received:
    webhook_id: str
    headers: dict[str, str]
    body: bytes
    at: float
    path: str = ""

    @property
    def json(self) -> dict:
        return json.loads(self.body)


# (webhook-id, attempt number starting at 1) → (status, extra headers, delay in seconds)
Script = Callable[[str, int], tuple[int, dict[str, str], float]]


def always_ok(_: str, __: int) -> tuple[int, dict[str, str], float]:
    return 200, {}, 0.0


@dataclass
class Receiver:
    url: str
    port: int
    script: Script = always_ok
    received: list[Received] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)
    in_flight: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    max_in_flight_per_id: int = 0

    @property
    def delivered_ids(self) -> set[str]:
        return {r.webhook_id for r in self.received}

    async def app(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        webhook_id = headers.get("webhook-id", "")
        self.attempts[webhook_id] += 1
        self.in_flight[webhook_id] += 1
        self.max_in_flight_per_id = max(self.max_in_flight_per_id, self.in_flight[webhook_id])
        try:
            status, extra, delay = self.script(webhook_id, self.attempts[webhook_id])
            if delay:
                await asyncio.sleep(delay)
            if 200 <= status < 300:
                self.received.append(
                    Received(webhook_id, headers, body, time.monotonic(), scope.get("path", ""))
                )
        finally:
            self.in_flight[webhook_id] -= 1
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain"),
                    *((k.encode(), v.encode()) for k, v in extra.items()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": f"status {status}".encode()})

    async def wait_for(self, count: int, *, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.delivered_ids) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"only {len(self.delivered_ids)} of {count} delivered in {timeout}s"
                )
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def serve(receiver: Receiver, sock: socket.socket) -> AsyncIterator[None]:
    config = uvicorn.Config(
        receiver.app, log_level="warning", lifespan="off", access_log=False, interface="asgi3"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    sock = free_socket()
    port = sock.getsockname()[1]
    hook = Receiver(url=f"http://127.0.0.1:{port}/hooks", port=port)
    async with serve(hook, sock):
        yield hook


@pytest.fixture
def unstarted_receiver() -> Receiver:
    """A receiver whose port is reserved but not listening yet: connections are refused."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    return Receiver(url=f"http://127.0.0.1:{port}/hooks", port=port)


@pytest.fixture
def serve_receiver() -> Callable[[Receiver], contextlib.AbstractAsyncContextManager[None]]:
    """Starts serving a receiver on its reserved port, e.g. after connections were refused."""

    @contextlib.asynccontextmanager
    async def start(receiver: Receiver) -> AsyncIterator[None]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", receiver.port))
        async with serve(receiver, sock):
            yield

    return start

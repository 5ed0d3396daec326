"""Partners' endpoints that misbehave on purpose: huge answers, drip-fed answers, hangs.

The receivers are real servers on 127.0.0.1 (raw asyncio streams where the misbehaviour
is below HTTP, uvicorn otherwise), started and stopped by each test.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from tests.webhooks.conftest import free_socket, serve
from tests.webhooks.test_worker import (
    add_messages,
    add_partner,
    attempts_of,
    messages,
    running,
    worker_for,
)

from accident_online.webhooks.worker import WorkerSettings


@dataclass
class RawServer:
    url: str
    sent: int = 0  # body bytes the server got into the connection
    finished: bool = False  # it wrote everything it meant to


# What the server does once it has read the request.
Handler = Callable[[RawServer, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[RawServer]:
    sock = free_socket()
    state = RawServer(url=f"http://127.0.0.1:{sock.getsockname()[1]}/hooks")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await read_request(reader)
            await handler(state, reader, writer)
        except (ConnectionError, OSError):
            pass  # the worker hung up on us: that is the point
        finally:
            writer.close()

    server = await asyncio.start_server(handle, sock=sock)
    try:
        yield state
    finally:
        server.close()
        await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)


HUGE = 32 * 1024 * 1024


async def huge_answer(
    state: RawServer, _: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    writer.write(
        b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\n"
        b"content-length: %d\r\n\r\n" % HUGE
    )
    chunk = b"x" * 65536
    while state.sent < HUGE:
        writer.write(chunk)
        await writer.drain()
        state.sent += len(chunk)
    state.finished = True


async def drip_feed(
    state: RawServer, _: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    # Each byte well within httpx's per-read timeout; all of them far beyond the deadline.
    body = b"." * 100
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body))
    for byte in body:
        writer.write(bytes([byte]))
        await writer.drain()
        state.sent += 1
        await asyncio.sleep(0.3)
    state.finished = True


async def test_a_huge_answer_is_read_no_further_than_the_excerpt(committed_app) -> None:
    settings = WorkerSettings(retry_schedule=[60], timeout_seconds=10, allow_private_targets=True)
    async with raw_server(huge_answer) as endpoint:
        await add_partner(committed_app, "app-huge", endpoint.url)
        [message_id] = await add_messages(committed_app, "app-huge", 1)
        worker = worker_for(committed_app, settings)

        await asyncio.wait_for(worker.run_once(), timeout=60)

    [attempt] = await attempts_of(committed_app, message_id)
    assert (attempt.outcome, attempt.status_code) == ("http_error", 500)
    assert attempt.response_excerpt == "x" * 1024
    # The excerpt and at most one read of the connection (httpcore reads 64 KiB at a time).
    assert 1024 <= worker.bytes_read <= 1024 + 65536
    assert not endpoint.finished


async def test_a_drip_fed_answer_ends_at_the_attempts_deadline(committed_app) -> None:
    settings = WorkerSettings(retry_schedule=[60], timeout_seconds=1, allow_private_targets=True)
    async with raw_server(drip_feed) as endpoint:
        await add_partner(committed_app, "app-drip", endpoint.url)
        [message_id] = await add_messages(committed_app, "app-drip", 1)

        # Generous: without a deadline of its own the attempt takes the drip's 30 s.
        await asyncio.wait_for(worker_for(committed_app, settings).run_once(), timeout=20)

    [attempt] = await attempts_of(committed_app, message_id)
    assert attempt.outcome == "timeout"
    assert attempt.status_code is None
    assert not endpoint.finished
    message = (await messages(committed_app))[message_id]
    assert (message.status, message.attempts) == ("pending", 1)


@dataclass
class HangingReceiver:
    """Answers 200, but only once released; counts the requests it is holding."""

    url: str = ""
    release: asyncio.Event = field(default_factory=asyncio.Event)
    holding: int = 0
    most_held: int = 0
    answered: int = 0

    async def app(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        self.holding += 1
        self.most_held = max(self.most_held, self.holding)
        try:
            await self.release.wait()
        finally:
            self.holding -= 1
        self.answered += 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def wait_until(condition: Callable[[], Awaitable[bool]], *, within: float = 20) -> None:
    async def poll() -> None:
        while not await condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout=within)


async def test_a_hanging_endpoint_holds_back_no_other_partner(committed_app, receiver) -> None:
    settings = WorkerSettings(
        retry_schedule=[60],
        timeout_seconds=30,
        allow_private_targets=True,
        senders=3,
        per_endpoint=2,
        idle_seconds=0.02,
    )
    slow = HangingReceiver()
    sock = free_socket()
    slow.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hooks"
    async with serve(slow, sock):  # type: ignore[arg-type]
        await add_partner(committed_app, "app-hanging", slow.url)
        await add_partner(committed_app, "app-fast", receiver.url)
        hanging = await add_messages(committed_app, "app-hanging", 5)
        try:
            async with running(worker_for(committed_app, settings)):

                async def slow_is_hanging() -> bool:
                    return slow.holding == 2

                await wait_until(slow_is_hanging)
                # Sent after the worker is busy with the slow partner's messages.
                [fast] = await add_messages(committed_app, "app-fast", 1)

                async def fast_is_recorded() -> bool:
                    return (await messages(committed_app))[fast].status == "delivered"

                await wait_until(fast_is_recorded)
                still_hanging = slow.holding
                slow_statuses = {(await messages(committed_app))[i].status for i in hanging}
                slow.release.set()

                async def slow_is_delivered() -> bool:
                    current = await messages(committed_app)
                    return all(current[i].status == "delivered" for i in hanging)

                await wait_until(slow_is_delivered)
        finally:
            slow.release.set()

    assert receiver.delivered_ids == {fast}
    assert still_hanging == 2
    assert slow_statuses == {"pending"}
    assert slow.most_held == 2  # never more than per_endpoint at once
    assert slow.answered == 5

"""The HTTP server's limits on slow and oversized request headers.

uvicorn bounds the idle time between requests (``timeout_keep_alive``) but not how long
a client may take to send a request's headers: its keep-alive timer is cancelled by the
first byte, so a client that drips one byte every few seconds holds a connection for as
long as it likes (slowloris; uvicorn issue #157 plans ``--timeout-request-start`` and
has not built it). Nor does it bound their size with httptools (``h11_max_incomplete_
event_size`` is h11's only). ``HeaderLimitsProtocol`` adds both to uvicorn's httptools
protocol, through the parser callbacks uvicorn itself implements (``on_message_begin``,
``on_url``, ``on_header``, ``on_headers_complete``): a client has ``header_timeout``
seconds from its connection, or from the first byte of each further request on it, to
complete the request line and headers, and ``max_header_bytes`` for them. Bodies are not
covered: ``kit.limits.BodyLimitMiddleware`` bounds their size, and a slow body holds one
request, not a free connection slot per byte. tests/test_http_server.py drives a real
server with a dripping socket, so an uvicorn change that breaks this fails there.

Both answers the server writes itself, outside the app, are problems like the app's,
Chinese first (kit.i18n): the 408 for headers too slow, in the language of whatever
Accept-Language and Authorization headers did arrive; and the 503 past
``limit_concurrency`` (MAX_CONNECTIONS), with Retry-After, in place of uvicorn's plain
text (uvicorn starts its own ``service_unavailable`` app for such a request through
``_start_asgi_task``, which this protocol overrides; pinned below 0.55, tested there).
Only the 400 for a request httptools cannot parse (oversized headers included) stays
uvicorn's plain text: it is written inside uvicorn's ``data_received`` with no hook.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from uvicorn._types import ASGI3Application, ASGIReceiveCallable, ASGISendCallable, Scope
from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from accident_online.kit.i18n import _
from accident_online.kit.problems import AppError, ServiceUnavailable, asgi_problem


class RequestTimeout(AppError):
    status_code = 408
    code = "request-timeout"
    title = _("Request timeout")
    default_detail = _("The request headers did not arrive in time.")


class TooManyConnections(ServiceUnavailable):
    """Past MAX_CONNECTIONS: the server takes no more connections at once."""

    default_detail = _(
        "The server is serving as many connections as it takes at once; retry shortly."
    )


def _raw_problem(
    error: AppError, headers: list[tuple[bytes, bytes]]
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """A problem's body and headers, in the language these request headers ask for."""
    body, problem_headers = asgi_problem(
        error, {"type": "http", "headers": headers, "path": ""}, request_id=None
    )
    return body, [
        *problem_headers,
        *((name.lower().encode(), value.encode()) for name, value in error.headers.items()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]


async def too_many_connections(
    scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
) -> None:
    asked = list(scope["headers"]) if scope["type"] == "http" else []
    body, headers = _raw_problem(TooManyConnections(), asked)
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class HeadersTooLarge(ValueError):
    """Raised from a parser callback: httptools turns it into a parser error, which uvicorn
    answers with 400 and a closed connection."""


class HeaderLimitsProtocol(HttpToolsProtocol):
    header_timeout: ClassVar[float] = 10.0
    max_header_bytes: ClassVar[int] = 64 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_clock: asyncio.TimerHandle | None = None
        self._header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_clock()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_clock()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        if self._header_clock is None:  # a further request on a kept-alive connection
            self._start_header_clock()

    def on_url(self, url: bytes) -> None:
        self._count_header_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_header_bytes(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._stop_header_clock()
        super().on_headers_complete()

    def _count_header_bytes(self, count: int) -> None:
        self._header_bytes += count
        if self._header_bytes > self.max_header_bytes:
            raise HeadersTooLarge(f"request headers over {self.max_header_bytes} bytes")

    def _start_header_clock(self) -> None:
        self._header_clock = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _stop_header_clock(self) -> None:
        if self._header_clock is not None:
            self._header_clock.cancel()
            self._header_clock = None

    def _headers_too_slow(self) -> None:
        self._header_clock = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined request behind one still being answered: no 408 in the middle
            # of that response.
            self.transport.close()
            return
        # Before a request exists there is no app to answer, so the 408 problem is
        # written here; the connection is closed after it.
        error = RequestTimeout(
            _(
                "The request headers did not arrive within {seconds} s.",
                seconds=f"{self.header_timeout:g}",
            )
        )
        body, headers = _raw_problem(error, list(self.headers or []))
        self.transport.write(
            b"HTTP/1.1 408 Request Timeout\r\n"
            + b"".join(name + b": " + value + b"\r\n" for name, value in headers)
            + b"\r\n"
            + body
        )
        self.transport.close()

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        if app is service_unavailable:  # past limit_concurrency: a problem, not plain text
            app = too_many_connections
        super()._start_asgi_task(cycle, app)


def header_limits_protocol(
    *, header_timeout: float, max_header_bytes: int
) -> type[HeaderLimitsProtocol]:
    """The protocol class to give uvicorn as ``http=``, with these limits."""
    return type(
        "HeaderLimitsProtocol",
        (HeaderLimitsProtocol,),
        {"header_timeout": header_timeout, "max_header_bytes": max_header_bytes},
    )

"""Request ids, JSON logs and Prometheus metrics for every request."""

from __future__ import annotations

import contextvars
import ipaddress
import json
import logging
import re
import sys
import time
import traceback
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi.routing import iter_route_contexts
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accident_online.kit.i18n import _
from accident_online.kit.problems import AppError, asgi_problem

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

logger = logging.getLogger("accident_online.http")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, carrying the request id of the request being served."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key in ("method", "path", "route", "status", "duration_ms", "client"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(*, level: str, json_lines: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if json_lines else logging.Formatter("%(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Our middleware logs every request once, with its id; uvicorn's access log would
    # only repeat it without the id.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


class HttpMetrics:
    """Per-app collectors, so that several apps in one process (tests) do not collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )


class RouteTemplates:
    """Full path templates of the matched routes (``/v1/cases/{case_id}``), for labels.

    The route in the ASGI scope knows only its path inside its own router; the full
    template comes from the app's route tree, looked up once per route.
    """

    def __init__(self) -> None:
        self._by_route: dict[int, str] = {}

    def template(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:
            # Unmatched paths share one label, so scans of random URLs cannot blow up
            # the metrics' cardinality.
            return "<unmatched>"
        found = self._by_route.get(id(route))
        if found is None:
            app = scope.get("app")
            if app is not None:
                for context in iter_route_contexts(app.routes):
                    if context.path_format:
                        self._by_route[id(context.original_route)] = context.path_format
            found = self._by_route.setdefault(id(route), getattr(route, "path", "<unmatched>"))
        return found


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(networks: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in networks)


def _is_in(host: str, networks: Sequence[Network]) -> bool:
    try:
        address = ipaddress.ip_address(host.strip())
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def client_address(peer: str, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The client's address: the direct peer, unless that is a trusted proxy.

    Behind a trusted proxy, X-Forwarded-For is read from the right: each proxy appends
    the address it was connected from, so the rightmost hop that is not a trusted proxy
    is the first address no proxy of ours vouches for. Anything left of it was written
    by the client and may be invented. A malformed hop ends the walk there.
    """
    if not trusted or not _is_in(peer, trusted):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    address = peer
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break
        address = hop
        if not _is_in(hop, trusted):
            break
    return address


class RequestContextMiddleware:
    """Gives each request an id, logs and measures it, and turns a crash into a 500 problem.

    Behind a trusted proxy (``TRUSTED_PROXIES``) it also replaces the scope's client with
    the address from X-Forwarded-For, so that rate limits, lockouts, logs and the /metrics
    allow-list all see the real client.

    Pure ASGI (not BaseHTTPMiddleware) so that streaming uploads are not buffered.
    """

    def __init__(
        self, app: ASGIApp, *, metrics: HttpMetrics, trusted_proxies: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = RouteTemplates()
        self.trusted = parse_networks(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, REQUEST_ID_HEADER)
        request_id = (
            incoming if incoming and _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        )
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        if self.trusted and scope.get("client"):
            peer, port = scope["client"]
            forwarded = [
                value.decode("latin-1")
                for key, value in scope.get("headers", [])
                if key.lower() == b"x-forwarded-for"
            ]
            scope["client"] = (client_address(peer, forwarded, self.trusted), port)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error", extra={"path": scope.get("path")})
            status = 500
            if not response_started:
                await _send_internal_error(send, scope, request_id)
        finally:
            duration = time.perf_counter() - started
            route = self.routes.template(scope)
            method = scope.get("method", "")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(duration)
            logger.info(
                "request",
                extra={
                    "method": method,
                    "path": scope.get("path"),
                    "route": route,
                    "status": status,
                    "duration_ms": round(duration * 1000, 2),
                    "client": (scope.get("client") or ("", 0))[0],
                },
            )
            request_id_var.reset(token)


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for key, value in scope.get("headers", []):
        if key.lower() == wanted:
            try:
                return str(value.decode("latin-1"))
            except UnicodeDecodeError:
                return None
    return None


async def _send_internal_error(send: Send, scope: Scope, request_id: str) -> None:
    error = AppError(
        _("The server failed to complete the request. Quote the request id when you report this.")
    )
    body, headers = asgi_problem(error, scope, request_id=request_id)
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                *headers,
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

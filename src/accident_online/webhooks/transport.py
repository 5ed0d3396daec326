"""An httpx transport that connects to the address it checked, not to a second lookup.

httpx resolves the URL's host itself when it connects; checking the host beforehand
resolves it once more, and a partner controlling its DNS answers the two differently
(rebinding: a public address for the check, 127.0.0.1 for the connection). Here the
connection pool's network backend resolves once, refuses the answer unless every
address is public, and opens the TCP connection to one of those very addresses. The
pool still knows the URL's name, so the Host header, TLS SNI and certificate
verification are for the name.
"""

from __future__ import annotations

import ssl
import typing

import httpcore
import httpx

from accident_online.kit.net import Resolver, is_public_address, system_resolver


class BlockedAddress(Exception):
    """The host resolves to an address webhooks may not go to.

    Not an httpcore error, so httpx lets it through unchanged and the worker can tell
    it from a connection failure.
    """


class CheckedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, *, resolver: Resolver = system_resolver, allow_private: bool) -> None:
        self.resolver = resolver
        self.allow_private = allow_private
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self.resolver(host)
        except (OSError, UnicodeError) as error:
            raise httpcore.ConnectError(f"{host} does not resolve: {error}") from error
        if not addresses:
            raise httpcore.ConnectError(f"{host} does not resolve")
        refused = [str(a) for a in addresses if not is_public_address(a)]
        if refused and not self.allow_private:
            raise BlockedAddress(f"{host} resolves to a non-public address ({', '.join(refused)})")
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are not sent to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def checked_transport(
    *, tls: ssl.SSLContext, limits: httpx.Limits, backend: CheckedBackend
) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(verify=tls, limits=limits, trust_env=False)
    # httpx takes no network backend; its pool does (httpcore's public API), so the
    # pool is built again with one, with the same settings httpx would give it.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=tls,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=backend,
    )
    return transport

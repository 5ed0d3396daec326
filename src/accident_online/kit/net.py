"""Which network addresses a webhook may be sent to (server-side request forgery guard).

The names are resolved through one seam, ``Resolver``: the delivery worker resolves a
host once, checks the answer and connects to the very address it checked (see
``webhooks.transport``), so a partner's DNS cannot answer "public" to the check and
"127.0.0.1" to the connection (DNS rebinding). Tests pass their own resolver.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], Awaitable[Sequence[IPAddress]]]

METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)

# IPv6 outside global unicast (2000::/3) is never a partner's server: this drops
# site-local fec0::/10, unique-local, link-local, IPv4-compatible, IPv4-mapped
# (::ffff:0:0/96; a partner writes an IPv4 address as such) and the rest at once.
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
# Inside 2000::/3, ranges that lead elsewhere than where they seem to: tunnels whose
# far end is an embedded IPv4 address (6to4 2002::/16 of 127.0.0.1 is 2002:7f00:1::,
# Teredo 2001::/32), and documentation ranges (2001:db8::/32, 3fff::/20 of RFC 9637,
# younger than Python's own table).
_REFUSED_IPV6 = tuple(
    ipaddress.ip_network(network)
    for network in ("2002::/16", "2001::/32", "2001:db8::/32", "3fff::/20")
)
# NAT64 (RFC 6052) reaches the IPv4 address in its last 32 bits: as public as that one.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public_address(address: IPAddress) -> bool:
    """Whether a webhook may be sent there: not private, loopback, link-local, reserved,
    multicast, unspecified, shared (CGNAT), a cloud metadata address, nor an IPv6 form
    (6to4, Teredo, NAT64, IPv4-mapped, site-local, documentation) that leads to one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64:
            return is_public_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address not in _GLOBAL_UNICAST or any(address in net for net in _REFUSED_IPV6):
            return False
    return not (
        address in METADATA_ADDRESSES
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


async def system_resolver(host: str) -> list[IPAddress]:
    """The host's addresses as the operating system resolves them (an IP literal: itself).

    Raises OSError when the host does not resolve.
    """
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


async def resolves_to_public_addresses_only(
    host: str, *, resolver: Resolver = system_resolver
) -> bool:
    """True when the host resolves, and only to public addresses."""
    try:
        addresses = await resolver(host)
    except (OSError, UnicodeError):
        return False
    return bool(addresses) and all(is_public_address(address) for address in addresses)

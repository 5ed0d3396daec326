"""Where webhooks may go: only public addresses (SSRF guard for registration and sending)."""

from __future__ import annotations

import ipaddress

import pytest

from accident_online.kit.net import is_public_address, resolves_to_public_addresses_only


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("fd00:ec2::254", False),
        ("100.64.0.1", False),  # shared address space (CGNAT)
        ("0.0.0.0", False),
        ("224.0.0.1", False),  # multicast
        ("ff02::1", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("fe80::1", False),
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:808:808::1", False),  # 6to4 at all: a tunnel to an address not checked
        ("fec0::1", False),  # site-local
        ("3fff::1", False),  # documentation, RFC 9637
        ("2001:db8::1", False),  # documentation
        ("2001::1", False),  # Teredo
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("64:ff9b:1::808:808", False),  # local-use NAT64 prefix
        ("::ffff:8.8.8.8", False),  # IPv4-mapped: written as IPv4 if meant
        ("::127.0.0.1", False),  # IPv4-compatible (deprecated)
        ("fc00::1", False),  # unique local
        ("100::1", False),  # discard-only
        ("2606:4700:4700::1111", True),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


async def test_loopback_and_unresolvable_hosts_are_not_public() -> None:
    assert await resolves_to_public_addresses_only("127.0.0.1") is False
    assert await resolves_to_public_addresses_only("localhost") is False
    assert await resolves_to_public_addresses_only("no-such-host.invalid") is False

"""TRUSTED_PROXIES: the client's address behind a reverse proxy, for limits, logs, /metrics."""

from __future__ import annotations

import httpx
import pytest

from accident_online.app import create_app
from accident_online.kit.observability import client_address, parse_networks

PROXY = "172.28.0.10"
TRUSTED = parse_networks(["172.28.0.0/24", "10.0.0.0/8"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        # A direct client: its own X-Forwarded-For is ignored.
        ("203.0.113.5", ["127.0.0.1"], "203.0.113.5"),
        # Through the proxy: the address the proxy saw.
        (PROXY, ["198.51.100.7"], "198.51.100.7"),
        # A client that sends its own header: the rightmost untrusted hop wins.
        (PROXY, ["127.0.0.1, 198.51.100.7"], "198.51.100.7"),
        (PROXY, ["127.0.0.1", "198.51.100.7"], "198.51.100.7"),
        # Two trusted proxies in a row are skipped.
        (PROXY, ["198.51.100.7, 10.1.1.1"], "198.51.100.7"),
        # Garbage ends the walk: the last good hop (here the proxy itself) is used.
        (PROXY, ["not-an-address"], PROXY),
        (PROXY, [], PROXY),
    ],
)
def test_the_client_is_the_rightmost_untrusted_hop(peer, forwarded, expected) -> None:  # type: ignore[no-untyped-def]
    assert client_address(peer, forwarded, TRUSTED) == expected


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    assert client_address(PROXY, ["198.51.100.7"], ()) == PROXY


def _client(app, peer: str) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=(peer, 4000))
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def test_behind_the_proxy_lockouts_pause_the_real_client_only(
    settings_for, database_url, database, make_user
) -> None:
    app = create_app(
        settings_for(database_url, trusted_proxies=["172.28.0.10/32"]), database=database
    )
    await make_user("officer.bai", password="the-right-password")
    wrong = {"grant_type": "password", "username": "officer.bai", "password": "guess-guess"}
    right = {**wrong, "password": "the-right-password"}
    attacker = {"X-Forwarded-For": "203.0.113.66"}
    officer = {"X-Forwarded-For": "10.20.30.40"}
    async with _client(app, PROXY) as proxy:
        for _ in range(5):
            await proxy.post("/v1/auth/token", data=wrong, headers=attacker)
        attacker_paused = await proxy.post("/v1/auth/token", data=right, headers=attacker)
        officer_in = await proxy.post("/v1/auth/token", data=right, headers=officer)

    assert attacker_paused.status_code == 429
    assert officer_in.status_code == 200


async def test_without_trusted_proxies_every_client_of_the_proxy_is_one_address(
    settings_for, database_url, database, make_user
) -> None:
    app = create_app(settings_for(database_url), database=database)
    await make_user("officer.bai", password="the-right-password")
    wrong = {"grant_type": "password", "username": "officer.bai", "password": "guess-guess"}
    async with _client(app, PROXY) as proxy:
        for _ in range(5):
            await proxy.post(
                "/v1/auth/token", data=wrong, headers={"X-Forwarded-For": "203.0.113.66"}
            )
        officer = await proxy.post(
            "/v1/auth/token",
            data={**wrong, "password": "the-right-password"},
            headers={"X-Forwarded-For": "10.20.30.40"},
        )

    assert officer.status_code == 429  # the header is not believed: why the setting exists


async def test_metrics_are_closed_to_clients_coming_through_the_proxy(
    settings_for, database_url, database
) -> None:
    app = create_app(
        settings_for(database_url, trusted_proxies=["172.28.0.10/32"]), database=database
    )
    async with _client(app, PROXY) as proxy, _client(app, "203.0.113.9") as outsider:
        through_proxy = await proxy.get("/metrics", headers={"X-Forwarded-For": "198.51.100.7"})
        spoofed = await proxy.get(
            "/metrics", headers={"X-Forwarded-For": "127.0.0.1, 198.51.100.7"}
        )
        direct_spoof = await outsider.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
        internal = await proxy.get("/metrics", headers={"X-Forwarded-For": "10.0.0.7"})

    assert through_proxy.status_code == 404
    assert spoofed.status_code == 404
    assert direct_spoof.status_code == 404
    assert internal.status_code == 200


async def test_the_request_log_names_the_real_client(
    settings_for, database_url, database, caplog
) -> None:
    app = create_app(
        settings_for(database_url, trusted_proxies=["172.28.0.10/32"]), database=database
    )
    with caplog.at_level("INFO", logger="accident_online.http"):
        async with _client(app, PROXY) as proxy:
            await proxy.get("/healthz", headers={"X-Forwarded-For": "198.51.100.7"})
    clients = [getattr(r, "client", None) for r in caplog.records if r.getMessage() == "request"]
    assert clients == ["198.51.100.7"]


def test_a_bad_trusted_proxy_network_is_refused(settings_for, database_url) -> None:  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="trusted_proxies"):
        settings_for(database_url, trusted_proxies=["not-a-network"])

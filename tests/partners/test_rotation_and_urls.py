"""Webhook secret rotation, webhook URL safety at registration, and PATCH /v1/partners/{id}.

This module runs with production's rule (no private webhook targets) unless a test asks
for the development one through ``@pytest.mark.parametrize("settings", [True], indirect=True)``.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from datetime import datetime, timedelta

import pytest
from standardwebhooks import Webhook

from accident_online.kit.signing import sign
from accident_online.kit.time import utc_now
from accident_online.models.partner import Partner
from accident_online.partners.service import webhook_secrets
from accident_online.settings import Settings
from accident_online_testing.processes import command

# A public address (example.com's) written as a literal, so that no DNS lookup is needed.
PUBLIC_URL = "http://93.184.215.14/hooks"
UNSAFE_BUT_ALLOWED_IN_DEVELOPMENT = [
    "http://127.0.0.1/x",
    "http://169.254.169.254/latest",
    "http://10.0.0.5/",
    "http://[::1]/hook",
    "http://[fd00:ec2::254]/latest",
    "http://[::ffff:127.0.0.1]/x",
    "http://0.0.0.0/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://localhost:8080/hook",
    "http://does-not-exist.invalid/hook",
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[fec0::1]/",  # site-local
    "http://[3fff::1]/",  # documentation (RFC 9637)
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://[2001::1]/",  # Teredo
]


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    settings.webhook_allow_private_targets = getattr(request, "param", False)
    return settings


async def register(client, admin_headers, webhook_url: str, partner_id: str = "mediation-x"):  # type: ignore[no-untyped-def]
    return await client.post(
        "/v1/partners",
        json={"id": partner_id, "kind": "mediation", "name": "X", "webhook_url": webhook_url},
        headers=admin_headers,
    )


# --- rotation ---------------------------------------------------------------------------


async def test_rotation_returns_a_new_secret_once_and_keeps_the_old_one_for_a_day(
    client, admin_headers, session
) -> None:
    created = (await register(client, admin_headers, PUBLIC_URL)).json()
    old = created["webhook_secret"]

    rotated = await client.post("/v1/partners/mediation-x/rotate-secret", headers=admin_headers)
    shown = await client.get("/v1/partners/mediation-x", headers=admin_headers)
    listed = await client.get("/v1/partners", headers=admin_headers)
    partner = await session.get(Partner, "mediation-x")

    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert set(body) == {"partner_id", "webhook_secret", "previous_secret_expires_at"}
    assert body["partner_id"] == "mediation-x"
    assert body["webhook_secret"].startswith("whsec_")
    assert body["webhook_secret"] != old
    expires = datetime.fromisoformat(body["previous_secret_expires_at"])
    assert abs(expires - (utc_now() + timedelta(hours=24))) < timedelta(minutes=1)
    for response in (shown, listed):
        assert response.status_code == 200
        assert "secret" not in response.text
        assert old not in response.text
        assert body["webhook_secret"] not in response.text
    assert partner is not None
    assert (partner.webhook_secret, partner.previous_webhook_secret) == (
        body["webhook_secret"],
        old,
    )


async def test_during_rotation_outbound_signatures_carry_both_secrets(
    client, admin_headers, session
) -> None:
    old = (await register(client, admin_headers, PUBLIC_URL)).json()["webhook_secret"]
    new = (
        await client.post("/v1/partners/mediation-x/rotate-secret", headers=admin_headers)
    ).json()["webhook_secret"]
    partner = await session.get(Partner, "mediation-x")
    assert partner is not None
    now = utc_now()
    body = '{"type":"case.closed"}'

    header = sign(webhook_secrets(partner, now=now), msg_id="msg_1", timestamp=now, body=body)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(now.timestamp()))}
    after_expiry = webhook_secrets(partner, now=now + timedelta(hours=24, seconds=1))

    assert webhook_secrets(partner, now=now) == [new, old]
    for secret in (old, new):  # a receiver that knows either one verifies the message
        Webhook(secret).verify(body, {**headers, "webhook-signature": header})
    assert after_expiry == [new]


async def test_rotation_is_for_admins_and_known_partners(
    client, admin_headers, officer_headers
) -> None:
    unknown = await client.post("/v1/partners/nobody/rotate-secret", headers=admin_headers)
    officer = await client.post("/v1/partners/nobody/rotate-secret", headers=officer_headers)

    assert unknown.status_code == 404
    assert unknown.json()["code"] == "partner-not-found"
    assert officer.status_code == 403


# --- URL safety -------------------------------------------------------------------------


@pytest.mark.parametrize("url", UNSAFE_BUT_ALLOWED_IN_DEVELOPMENT)
async def test_private_targets_are_refused_in_production(client, admin_headers, url) -> None:
    response = await register(client, admin_headers, url)
    listed = await client.get("/v1/partners", headers=admin_headers)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unsafe-webhook-url"
    assert response.json()["errors"][0]["loc"] == ["body", "webhook_url"]
    assert listed.json()["items"] == []


@pytest.mark.parametrize("settings", [True], indirect=True)
@pytest.mark.parametrize("url", UNSAFE_BUT_ALLOWED_IN_DEVELOPMENT[:3])
async def test_private_targets_are_allowed_in_development(
    client, admin_headers, settings, url
) -> None:
    response = await register(client, admin_headers, url)

    assert settings.allow_private_webhook_targets is True
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("settings", [False, True], indirect=True)
@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://x", "validation-error"),
        ("file:///etc/passwd", "validation-error"),
        ("http://user:pw@example.org/", "unsafe-webhook-url"),
        ("https://token@93.184.215.14/", "unsafe-webhook-url"),
    ],
)
async def test_other_schemes_and_credentials_are_always_refused(
    client, admin_headers, settings, url, code
) -> None:
    response = await register(client, admin_headers, url)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == code


async def test_a_public_address_is_accepted(client, admin_headers) -> None:
    response = await register(client, admin_headers, PUBLIC_URL)

    assert response.status_code == 201, response.text
    assert response.json()["webhook_url"] == PUBLIC_URL
    assert response.json()["webhook_disabled_at"] is None


async def test_the_command_line_applies_the_same_rule(fresh_database_url, tmp_path) -> None:
    env = {
        **os.environ,
        "ACCIDENT_ONLINE_DATABASE_URL": fresh_database_url,
        "ACCIDENT_ONLINE_VAR_DIR": str(tmp_path / "var"),
        "ACCIDENT_ONLINE_WEBHOOK_ALLOW_PRIVATE_TARGETS": "false",
    }

    async def run(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run,
            command(*args),
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    assert (await run("migrate")).returncode == 0
    refused = await run(
        "partners", "add", "court-lc", "--kind", "court", "--name", "法院",
        "--webhook-url", "http://169.254.169.254/latest",
    )  # fmt: skip
    accepted = await run(
        "partners", "add", "court-lc", "--kind", "court", "--name", "法院",
        "--webhook-url", PUBLIC_URL,
    )  # fmt: skip

    assert refused.returncode == 1, refused.stderr
    assert json.loads(refused.stderr.strip().splitlines()[-1])["code"] == "unsafe-webhook-url"
    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(accepted.stdout)["webhook_url"] == PUBLIC_URL


# --- PATCH ------------------------------------------------------------------------------


async def test_patch_changes_name_and_url_with_the_same_checks(client, admin_headers) -> None:
    await register(client, admin_headers, PUBLIC_URL)

    unsafe = await client.patch(
        "/v1/partners/mediation-x",
        json={"webhook_url": "http://10.0.0.5/"},
        headers=admin_headers,
    )
    renamed = await client.patch(
        "/v1/partners/mediation-x",
        json={"name": "聊城市人民调解委员会", "webhook_url": "https://93.184.215.14/v2"},
        headers=admin_headers,
    )
    removed = await client.patch(
        "/v1/partners/mediation-x", json={"webhook_url": None}, headers=admin_headers
    )
    shown = await client.get("/v1/partners/mediation-x", headers=admin_headers)

    assert unsafe.status_code == 422
    assert unsafe.json()["code"] == "unsafe-webhook-url"
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "聊城市人民调解委员会"
    assert renamed.json()["webhook_url"] == "https://93.184.215.14/v2"
    assert removed.json()["webhook_url"] is None
    assert shown.json()["name"] == "聊城市人民调解委员会"


async def test_patch_re_enables_an_endpoint_disabled_by_a_410(
    client, admin_headers, session
) -> None:
    await register(client, admin_headers, PUBLIC_URL)
    partner = await session.get(Partner, "mediation-x")
    assert partner is not None
    partner.webhook_disabled_at = utc_now()
    session.add(partner)
    await session.commit()

    disabled = await client.get("/v1/partners/mediation-x", headers=admin_headers)
    enabled = await client.patch(
        "/v1/partners/mediation-x", json={"webhook_enabled": True}, headers=admin_headers
    )
    paused = await client.patch(
        "/v1/partners/mediation-x", json={"webhook_enabled": False}, headers=admin_headers
    )
    new_url = await client.patch(
        "/v1/partners/mediation-x",
        json={"webhook_url": "https://93.184.215.14/new"},
        headers=admin_headers,
    )

    assert disabled.json()["webhook_disabled_at"] is not None
    assert enabled.status_code == 200
    assert enabled.json()["webhook_disabled_at"] is None
    assert paused.json()["webhook_disabled_at"] is not None
    assert new_url.json()["webhook_disabled_at"] is None


async def test_patch_refusals(client, admin_headers, officer_headers) -> None:
    await register(client, admin_headers, PUBLIC_URL)

    unknown = await client.patch("/v1/partners/nobody", json={"name": "Y"}, headers=admin_headers)
    officer = await client.patch(
        "/v1/partners/mediation-x", json={"name": "Y"}, headers=officer_headers
    )
    no_name = await client.patch(
        "/v1/partners/mediation-x", json={"name": None}, headers=admin_headers
    )
    secrets = await client.patch(
        "/v1/partners/mediation-x", json={"webhook_secret": "whsec_x"}, headers=admin_headers
    )

    assert unknown.status_code == 404
    assert officer.status_code == 403
    assert no_name.status_code == 422
    assert secrets.status_code == 422

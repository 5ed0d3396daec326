"""Disabling accounts and rotating client secrets: tokens stop working on every process.

Two apps on one committed database stand for two API processes: what one process
changes, the other sees within ACCOUNT_CHECK_SECONDS (0.3 s here), even for a token it
verified and remembered before.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from accident_online.app import create_app
from accident_online.auth.principal import Principal
from accident_online.auth.schemas import UserCreate
from accident_online.auth.service import create_user, issue_access_token, principal_for_user
from accident_online.models.user import Role, UserRole
from accident_online.partners.schemas import PartnerCreate
from accident_online.partners.service import register_partner
from conftest import migrate_and_seed
from test_cli import run_cli

CHECK_SECONDS = 0.3


@pytest.fixture
async def two_processes(fresh_database_url, settings_for) -> AsyncIterator[list[httpx.AsyncClient]]:  # type: ignore[no-untyped-def]
    await migrate_and_seed(fresh_database_url)
    apps = [
        create_app(settings_for(fresh_database_url, account_check_seconds=CHECK_SECONDS))
        for _ in range(2)
    ]
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("10.0.0.1", 1)), base_url="http://t"
        )
        for app in apps
    ]
    try:
        yield clients
    finally:
        for client, app in zip(clients, apps, strict=True):
            await client.aclose()
            await app.state.database.dispose()


async def _accounts(client: httpx.AsyncClient) -> dict[str, str]:
    """An admin and an app partner, made directly in the committed database."""
    app = client._transport.app  # type: ignore[attr-defined]
    async with app.state.database.session(write=True) as session:
        admin = await create_user(
            session,
            UserCreate(username="root", password="an-admin-password", role=UserRole.admin),
        )
        partner = await register_partner(
            session, PartnerCreate(id="app-lc", kind="app", name="App")
        )
        await create_user(
            session,
            UserCreate(
                username="officer.ye",
                password="the-right-password",
                role=UserRole.officer,
                center_id="dongchangfu",
            ),
        )
    token = issue_access_token(principal_for_user(admin), key=app.state.jwt_key, ttl_seconds=600)
    return {
        "admin": f"Bearer {token.access_token}",
        "secret": partner.client_secret,
    }


async def _partner_token(client: httpx.AsyncClient, secret: str) -> httpx.Response:
    return await client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": "app-lc", "client_secret": secret},
    )


async def test_a_disabled_partner_is_refused_on_every_process(two_processes) -> None:
    one, two = two_processes
    accounts = await _accounts(one)
    admin = {"Authorization": accounts["admin"]}
    token = (await _partner_token(two, accounts["secret"])).json()["access_token"]
    partner = {"Authorization": f"Bearer {token}"}
    before = await two.get("/v1/cases", headers=partner)  # verified and remembered by two

    disabled = await one.post("/v1/partners/app-lc/disable", headers=admin)
    await asyncio.sleep(CHECK_SECONDS + 0.1)
    after = await two.get("/v1/cases", headers=partner)
    sign_in = await _partner_token(two, accounts["secret"])
    enabled = await one.post("/v1/partners/app-lc/enable", headers=admin)
    await asyncio.sleep(CHECK_SECONDS + 0.1)
    old_token_after_enable = await two.get("/v1/cases", headers=partner)
    new_token = await _partner_token(two, accounts["secret"])

    assert before.status_code == 200
    assert disabled.status_code == 200
    assert disabled.json()["disabled_at"] is not None
    assert after.status_code == 401
    assert after.json()["code"] == "token-revoked"
    assert sign_in.status_code == 401
    assert sign_in.json()["code"] == "account-disabled"
    assert sign_in.json()["error"] == "invalid_client"
    assert enabled.json()["disabled_at"] is None
    assert old_token_after_enable.status_code == 401
    assert new_token.status_code == 200


async def test_a_rotated_client_secret_ends_the_old_secret_and_its_tokens(two_processes) -> None:
    one, two = two_processes
    accounts = await _accounts(one)
    admin = {"Authorization": accounts["admin"]}
    token = (await _partner_token(two, accounts["secret"])).json()["access_token"]
    before = await two.get("/v1/cases", headers={"Authorization": f"Bearer {token}"})

    rotated = await one.post("/v1/partners/app-lc/rotate-client-secret", headers=admin)
    await asyncio.sleep(CHECK_SECONDS + 0.1)
    old_token = await two.get("/v1/cases", headers={"Authorization": f"Bearer {token}"})
    old_secret = await _partner_token(two, accounts["secret"])
    new_secret = await _partner_token(two, rotated.json()["client_secret"])
    shown_again = await one.get("/v1/partners/app-lc", headers=admin)

    assert before.status_code == 200
    assert rotated.status_code == 200
    assert rotated.json()["client_secret"] != accounts["secret"]
    assert old_token.status_code == 401
    assert old_secret.status_code == 401
    assert new_secret.status_code == 200
    assert rotated.json()["client_secret"] not in shown_again.text


async def test_a_disabled_officer_is_refused_on_every_process(two_processes) -> None:
    one, two = two_processes
    accounts = await _accounts(one)
    admin = {"Authorization": accounts["admin"]}
    form = {"grant_type": "password", "username": "officer.ye", "password": "the-right-password"}
    token = (await two.post("/v1/auth/token", data=form)).json()["access_token"]
    officer = {"Authorization": f"Bearer {token}"}
    queue = "/v1/centers/dongchangfu/queue"
    before = await two.get(queue, headers=officer)

    disabled = await one.post("/v1/admin/users/Officer.Ye/disable", headers=admin)
    await asyncio.sleep(CHECK_SECONDS + 0.1)
    after = await two.get(queue, headers=officer)
    sign_in = await two.post("/v1/auth/token", data=form)
    enabled = await one.post("/v1/admin/users/officer.ye/enable", headers=admin)
    signed_in_again = await one.post("/v1/auth/token", data=form)
    unknown = await one.post("/v1/admin/users/nobody/disable", headers=admin)

    assert before.status_code == 200, before.text
    assert disabled.status_code == 200
    assert after.status_code == 401
    assert sign_in.status_code == 401
    assert sign_in.json()["code"] == "account-disabled"
    assert sign_in.json()["error"] == "invalid_grant"
    assert enabled.status_code == 200
    assert signed_in_again.status_code == 200
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "user-not-found"


async def test_a_token_for_an_account_that_does_not_exist_is_401(client, auth_headers) -> None:
    ghosts = [
        Principal(subject="partner:no-such-partner", role=Role.app, partner_id="no-such-partner"),
        Principal(subject="user:3f1e0c52-3b0e-4d1e-9b7a-5a1c2e3d4f50", role=Role.admin),
        Principal(subject="user:not-a-uuid", role=Role.admin),
    ]
    for ghost in ghosts:
        response = await client.get("/v1/cases", headers=auth_headers(ghost))
        assert response.status_code == 401, ghost
        assert response.json()["code"] == "token-revoked"


async def test_the_command_line_disables_enables_and_rotates(two_processes, tmp_path) -> None:
    one, _ = two_processes
    accounts = await _accounts(one)
    url = str(one._transport.app.state.settings.database_url)  # type: ignore[attr-defined]
    var = str(tmp_path / "var")

    partner_off = await run_cli("partners", "disable", "app-lc", database_url=url, var_dir=var)
    refused = await _partner_token(one, accounts["secret"])
    partner_on = await run_cli("partners", "enable", "app-lc", database_url=url, var_dir=var)
    rotated = await run_cli(
        "partners", "rotate-client-secret", "app-lc", database_url=url, var_dir=var
    )
    user_off = await run_cli("users", "disable", "officer.ye", database_url=url, var_dir=var)
    officer = await one.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": "officer.ye", "password": "the-right-password"},
    )
    user_on = await run_cli("users", "enable", "OFFICER.YE", database_url=url, var_dir=var)
    missing = await run_cli("users", "disable", "nobody", database_url=url, var_dir=var)

    assert partner_off.returncode == 0, partner_off.stderr
    assert refused.json()["code"] == "account-disabled"
    assert partner_on.returncode == 0, partner_on.stderr
    assert rotated.returncode == 0, rotated.stderr
    import json

    new_secret = json.loads(rotated.stdout)["client_secret"]
    assert (await _partner_token(one, new_secret)).status_code == 200
    assert user_off.returncode == 0, user_off.stderr
    assert officer.json()["code"] == "account-disabled"
    assert user_on.returncode == 0
    assert json.loads(user_on.stdout)["disabled_at"] is None
    assert missing.returncode == 1
    assert "user-not-found" in missing.stderr

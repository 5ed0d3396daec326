"""The accident-online command, run as a real process against a fresh database."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess

import httpx

from accident_online.app import create_app
from accident_online_testing.processes import command


async def run_cli(
    *args: str, database_url: str, stdin: str = "", var_dir: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ACCIDENT_ONLINE_DATABASE_URL": database_url,
        "ACCIDENT_ONLINE_VAR_DIR": var_dir or "var",
    }
    return await asyncio.to_thread(
        subprocess.run,
        command(*args),
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


async def sign_in(client: httpx.AsyncClient, **form: str) -> int:
    return (await client.post("/v1/auth/token", data=form)).status_code


async def test_migrate_seed_users_and_partners(fresh_database_url, settings_for, tmp_path) -> None:
    url = fresh_database_url
    var = str(tmp_path / "var")

    migrated = await run_cli("migrate", database_url=url, var_dir=var)
    first_seed = await run_cli("seed", database_url=url, var_dir=var)
    second_seed = await run_cli("seed", database_url=url, var_dir=var)
    officer = await run_cli(
        "users",
        "add",
        "officer.ma",
        "--role",
        "officer",
        "--center",
        "yanggu",
        "--display-name",
        "马建军",
        "--badge-number",
        "371521",
        "--password-stdin",
        database_url=url,
        stdin="read-the-photos-well\n",
        var_dir=var,
    )
    partner = await run_cli(
        "partners",
        "add",
        "app-backend",
        "--kind",
        "app",
        "--name",
        "聊城交警 App",
        "--webhook-url",
        "http://127.0.0.1:9999/hooks",
        database_url=url,
        var_dir=var,
    )
    # The kinds compensation disputes added: 鉴定机构 and 仲裁委员会 (docs/partners.md).
    dispute_partners = [
        await run_cli(
            *("partners", "add", f"{kind}-lc", "--kind", kind, "--name", name),
            database_url=url,
            var_dir=var,
        )
        for kind, name in (("appraisal", "聊城某司法鉴定所"), ("arbitration", "聊城仲裁委员会"))
    ]

    assert migrated.returncode == 0, migrated.stderr
    assert first_seed.returncode == 0, first_seed.stderr
    match = re.search(r"^username: admin  password: (\S+)$", first_seed.stdout, re.MULTILINE)
    assert match, first_seed.stdout
    admin_password = match.group(1)
    assert len(admin_password) >= 16
    assert second_seed.returncode == 0
    assert "password" not in second_seed.stdout
    assert officer.returncode == 0, officer.stderr
    created = json.loads(officer.stdout)
    assert (created["center_id"], created["display_name"], created["badge_number"]) == (
        "yanggu",
        "马建军",
        "371521",
    )
    assert partner.returncode == 0, partner.stderr
    secrets = json.loads(partner.stdout)
    assert secrets["webhook_secret"].startswith("whsec_")
    assert secrets["name"] == "聊城交警 App"
    for result, kind in zip(dispute_partners, ("appraisal", "arbitration"), strict=True):
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["kind"] == kind

    app = create_app(settings_for(url))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (
                await sign_in(
                    client, grant_type="password", username="admin", password=admin_password
                )
                == 200
            )
            assert (
                await sign_in(
                    client,
                    grant_type="password",
                    username="officer.ma",
                    password="read-the-photos-well",
                )
                == 200
            )
            assert (
                await sign_in(
                    client,
                    grant_type="client_credentials",
                    client_id=secrets["client_id"],
                    client_secret=secrets["client_secret"],
                )
                == 200
            )
            admin_token = (
                await client.post(
                    "/v1/auth/token",
                    data={
                        "grant_type": "password",
                        "username": "admin",
                        "password": admin_password,
                    },
                )
            ).json()["access_token"]
            accounts = (
                await client.get(
                    "/v1/admin/users", headers={"Authorization": f"Bearer {admin_token}"}
                )
            ).json()["items"]
            assert {u["username"]: u["display_name"] for u in accounts} == {
                "admin": "系统管理员",
                "officer.ma": "马建军",
            }
            centers = (await client.get("/readyz")).json()
            assert centers["status"] == "ready"
    finally:
        await app.state.database.dispose()


async def test_cli_refuses_bad_input_without_a_trace(fresh_database_url, tmp_path) -> None:
    url = fresh_database_url
    var = str(tmp_path / "var")
    await run_cli("migrate", database_url=url, var_dir=var)
    await run_cli("seed", database_url=url, var_dir=var)

    unknown_center = await run_cli(
        "users",
        "add",
        "officer.x",
        "--role",
        "officer",
        "--center",
        "atlantis",
        "--password-stdin",
        database_url=url,
        stdin="long-enough-password\n",
        var_dir=var,
    )
    short_password = await run_cli(
        "users",
        "add",
        "officer.y",
        "--role",
        "officer",
        "--center",
        "zones",
        "--password-stdin",
        database_url=url,
        stdin="short\n",
        var_dir=var,
    )
    no_stdin_flag = await run_cli(
        "users",
        "add",
        "officer.z",
        "--role",
        "officer",
        "--center",
        "zones",
        database_url=url,
        var_dir=var,
    )
    bad_kind = await run_cli(
        "partners", "add", "x1", "--kind", "garage", "--name", "X", database_url=url, var_dir=var
    )
    codes_on_app = await run_cli(
        "partners",
        "add",
        "x2",
        "--kind",
        "app",
        "--name",
        "X",
        "--insurer-code",
        "PICC",
        database_url=url,
        var_dir=var,
    )

    assert unknown_center.returncode == 1
    assert json.loads(unknown_center.stderr.strip().splitlines()[-1])["code"] == "unknown-center"
    assert short_password.returncode == 2
    assert "password" in short_password.stderr
    assert no_stdin_flag.returncode == 2
    assert bad_kind.returncode == 2
    assert codes_on_app.returncode == 2
    for result in (unknown_center, short_password, bad_kind, codes_on_app):
        assert "Traceback" not in result.stderr

"""Scale-out with object storage: two API processes as two "machines", each with a local
folder of its own, one PostgreSQL and one bucket of a real object store (Swift's S3 API).

Reports and photos go in through one API; officers read every photo, its view_url and
the contact sheet through the other. Nothing is missing, and the same bytes sent twice
are one object.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from accident_online.kit.db import create_engine
from accident_online.kit.migrations import upgrade_to_head
from accident_online_testing.processes import command, free_port, stop, wait_ready_async
from object_store import ObjectStore
from service_processes import cli, jpeg, partner_headers, postgres_database, service_environment

REPORTS = 4
KINDS = [
    ("overview_front", None),
    ("overview_rear", None),
    ("collision_point", None),
    ("plate", 0),
    ("plate", 1),
]


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with postgres_database("ao_objects") as url:
        yield url


async def test_two_machines_share_one_bucket_and_nothing_else(
    postgres_url: str, swift: ObjectStore, bucket: str, tmp_path: Path, report_body
) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(postgres_url)
    await upgrade_to_head(engine)
    await engine.dispose()
    machines = [tmp_path / "machine-a", tmp_path / "machine-b"]
    envs = [
        service_environment(
            postgres_url,
            var,
            jwt_secret="objects-scale-" + "k" * 40,
            ACCIDENT_ONLINE_RUN_DELIVERY_WORKER="false",
            **swift.environment(bucket),
        )
        for var in machines
    ]
    cli(envs[0], "seed")
    app_secret = json.loads(
        cli(envs[0], "partners", "add", "app-objects", "--kind", "app", "--name", "App")
    )
    cli(
        envs[0],
        "users",
        "add",
        "officer-objects",
        "--role",
        "officer",
        "--center",
        "dongchangfu",
        "--password-stdin",
        stdin="objects-password\n",
    )
    ports = [free_port(), free_port()]
    apis = [
        subprocess.Popen(  # noqa: ASYNC220
            command("serve", "--port", str(port)),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port, env in zip(ports, envs, strict=True)
    ]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, process in zip(urls, apis, strict=True):
            await wait_ready_async(url, process)
        async with (
            httpx.AsyncClient(base_url=urls[0], timeout=30) as intake,
            httpx.AsyncClient(base_url=urls[1], timeout=30) as desk,
            httpx.AsyncClient(timeout=30) as browser,
        ):
            app_headers = await partner_headers(intake, "app-objects", app_secret["client_secret"])
            signed_in = await desk.post(
                "/v1/auth/token",
                data={
                    "grant_type": "password",
                    "username": "officer-objects",
                    "password": "objects-password",
                },
            )
            officer = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

            sent: dict[str, bytes] = {}
            case_ids = []
            for i in range(REPORTS):
                body = report_body()
                body["parties"][0]["plate"] = f"鲁P{i:05d}"
                created = await intake.post(
                    "/v1/reports", json=body, headers={**app_headers, "Idempotency-Key": f"o{i}"}
                )
                assert created.status_code == 201, created.text
                case_ids.append(created.json()["id"])
                for n, (kind, party) in enumerate(KINDS):
                    # The scene photos of every case are the same bytes: one object.
                    note = b"the same scene" if n == 0 else f"case {i} photo {n}".encode()
                    data = jpeg(note, size=(32, 24))
                    fields = {"kind": kind}
                    if party is not None:
                        fields["party"] = str(party)
                    if (i + n) % 2:
                        # Half declare their digest: streamed to the bucket as they arrive
                        # (the shared scene photo too: claimed, not sent again).
                        fields["sha256"] = hashlib.sha256(data).hexdigest()
                        fields["size"] = str(len(data))
                    answer = await intake.post(
                        f"/v1/cases/{case_ids[-1]}/evidence",
                        data=fields,
                        files={"file": ("p.jpg", data, "image/jpeg")},
                        headers=app_headers,
                    )
                    assert answer.status_code == 201, answer.text
                    sent[hashlib.sha256(data).hexdigest()] = data

            read = 0
            for case_id in case_ids:
                record = (await desk.get(f"/v1/cases/{case_id}", headers=officer)).json()
                assert len(record["evidence"]) == len(KINDS)
                for item in record["evidence"]:
                    content = await desk.get(item["content_url"], headers=officer)
                    assert content.status_code == 200
                    assert content.content == sent[item["sha256"]]
                    redirect = await desk.get(item["view_url"])
                    assert redirect.status_code == 307
                    direct = await browser.get(redirect.headers["location"])
                    assert direct.content == sent[item["sha256"]]
                    read += 1
                sheet = await desk.get(f"/v1/cases/{case_id}/evidence/sheet", headers=officer)
                assert sheet.status_code == 200
                assert sheet.content[:3] == b"\xff\xd8\xff"
    finally:
        stop(*apis)

    assert read == REPORTS * len(KINDS)
    objects = [
        str(item.object_name) for item in swift.client().list_objects(bucket, recursive=True)
    ]
    photos = sorted(name.rsplit("/", 1)[-1] for name in objects if not name.startswith("."))
    assert photos == sorted(sent)  # each content once, none missing
    assert len(sent) == REPORTS * (len(KINDS) - 1) + 1
    # Neither machine kept a photo, a copy or a sheet of its own.
    for var in machines:
        evidence = var / "evidence"
        left = [p for p in evidence.rglob("*") if p.is_file()] if evidence.exists() else []
        assert left == []

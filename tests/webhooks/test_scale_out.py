"""Scale-out on PostgreSQL: two API processes and two delivery workers on one database.

Reports go in through both APIs at once, each party confirms through either, officers claim
and decide through both, each party's receipt (no objection) makes liability final through
either, and a real receiver on 127.0.0.1 takes the webhooks. Case numbers stay unique, each case is
held by exactly one officer, and every message is delivered.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from accident_online.kit.db import Database, create_engine
from accident_online.kit.migrations import upgrade_to_head
from accident_online_testing.processes import command, free_port, stop, wait_ready_async
from accident_online_testing.road import confirm_every_party, deliver_to_every_party
from service_processes import cli, postgres_database, service_environment

REPORTS = 120
OFFICERS = 4


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A database of its own on PostgreSQL: scale-out is PostgreSQL's job."""
    async with postgres_database("ao_scale") as url:
        yield url


def environment(url: str, var: Path, **extra: str) -> dict[str, str]:
    return service_environment(
        url,
        var,
        jwt_secret="scale-out-" + "k" * 40,
        ACCIDENT_ONLINE_RUN_DELIVERY_WORKER="false",
        ACCIDENT_ONLINE_WEBHOOK_RETRY_SCHEDULE="[0.2, 0.5, 1, 2, 2, 2]",
        ACCIDENT_ONLINE_WEBHOOK_TIMEOUT_SECONDS="2",
        **extra,
    )


async def signed_in(client: httpx.AsyncClient, **form: str) -> str:
    """An access token from the token endpoint, for these credentials."""
    answer = await client.post("/v1/auth/token", data=form)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


async def test_two_apis_and_two_workers_on_one_postgresql(
    postgres_url, receiver, tmp_path, report_body, png, capsys
) -> None:
    import json

    env = environment(postgres_url, tmp_path)
    engine = create_engine(postgres_url)
    await upgrade_to_head(engine)
    await engine.dispose()
    cli(env, "seed")
    app_secret = json.loads(
        cli(env, "partners", "add", "app-scale", "--kind", "app", "--name", "App")
    )
    cli(
        env,
        "partners",
        "add",
        "picc-scale",
        "--kind",
        "insurer",
        "--name",
        "PICC",
        "--webhook-url",
        receiver.url,
        "--insurer-code",
        "PICC",
    )
    for n in range(OFFICERS):
        cli(
            env,
            "users",
            "add",
            f"officer{n}",
            "--role",
            "officer",
            "--center",
            "dongchangfu",
            "--password-stdin",
            stdin="scale-out-password\n",
        )

    cli(
        env,
        "users",
        "add",
        "admin-scale",
        "--role",
        "admin",
        "--password-stdin",
        stdin="scale-out-password\n",
    )

    ports = [free_port(), free_port()]
    apis = [
        subprocess.Popen(  # noqa: ASYNC220
            command("serve", "--port", str(port)),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    workers = [
        subprocess.Popen(  # noqa: ASYNC220
            command("worker"),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    started = time.monotonic()
    try:
        for url, process in zip(urls, apis, strict=True):
            await wait_ready_async(url, process)
        clients = [httpx.AsyncClient(base_url=url, timeout=30) for url in urls]
        token = await signed_in(
            clients[0],
            grant_type="client_credentials",
            client_id="app-scale",
            client_secret=app_secret["client_secret"],
        )
        app_headers = {"Authorization": f"Bearer {token}"}
        admin_token = await signed_in(
            clients[0],
            grant_type="password",
            username="admin-scale",
            password="scale-out-password",
        )
        # Every report queues at its home center, open round the clock with room for all
        # of them: the officers here work that one queue (overflow is tests/centers').
        opened = await clients[0].patch(
            "/v1/centers/dongchangfu",
            json={"capacity": REPORTS, "hours": {"opens": "00:00", "closes": "00:00"}},
            headers={"Authorization": f"Bearer {admin_token}"},
        )
        assert opened.status_code == 200, opened.text
        officer_tokens = [
            await signed_in(
                clients[n % 2],
                grant_type="password",
                username=f"officer{n}",
                password="scale-out-password",
            )
            for n in range(OFFICERS)
        ]
        officer_headers = [{"Authorization": f"Bearer {token}"} for token in officer_tokens]

        async def file_one(i: int) -> str:
            client = clients[i % 2]
            body = report_body()
            body["parties"][0]["plate"] = f"鲁P{i:05d}"  # type: ignore[index]
            created = await client.post(
                "/v1/reports", json=body, headers={**app_headers, "Idempotency-Key": f"scale-{i}"}
            )
            assert created.status_code == 201, created.text
            case_id = created.json()["id"]
            # Each party confirms, through either API.
            for party in (0, 1):
                await confirm_every_party(
                    clients[(i + party) % 2], created.json(), app_headers, [party]
                )
            uploads = [
                ("overview_front", None),
                ("overview_rear", None),
                ("collision_point", None),
                ("plate", 0),
                ("plate", 1),
            ]
            for n, (kind, party) in enumerate(uploads):
                data = {"kind": kind} if party is None else {"kind": kind, "party": str(party)}
                answer = await clients[(i + n) % 2].post(
                    f"/v1/cases/{case_id}/evidence",
                    data=data,
                    files={"file": ("p.png", png(i * 8 + n), "image/png")},
                    headers=app_headers,
                )
                assert answer.status_code == 201, answer.text
            return str(case_id)

        semaphore = asyncio.Semaphore(16)

        async def limited(i: int) -> str:
            async with semaphore:
                return await file_one(i)

        case_ids = await asyncio.gather(*(limited(i) for i in range(REPORTS)))
        filed_at = time.monotonic()

        claims: Counter[str] = Counter()
        conflicts = 0

        async def officer_loop(n: int) -> None:
            nonlocal conflicts
            client, headers = clients[n % 2], officer_headers[n]
            while True:
                queue = (
                    await client.get("/v1/centers/dongchangfu/queue?limit=10", headers=headers)
                ).json()
                if not queue["items"]:
                    return
                for item in queue["items"]:
                    claimed = await client.post(f"/v1/cases/{item['id']}/claim", headers=headers)
                    if claimed.status_code == 409:
                        conflicts += 1
                        continue
                    assert claimed.status_code == 200, claimed.text
                    claims[item["id"]] += 1
                    decided = await client.post(
                        f"/v1/cases/{item['id']}/decision",
                        headers={**headers, "If-Match": claimed.headers["etag"]},
                        json={
                            "liabilities": [
                                {"party": 0, "grade": "none"},
                                {"party": 1, "grade": "full"},
                            ],
                            "facts": "乙车变更车道时与甲车刮擦，双方车辆可移动。",
                            "legal_basis": "《道路交通事故处理程序规定》第六十条",
                        },
                    )
                    assert decided.status_code == 200, decided.text

        await asyncio.gather(*(officer_loop(n) for n in range(OFFICERS)))
        decided_at = time.monotonic()

        async def deliver(i: int, case_id: str) -> None:
            async with semaphore:
                # Every party without objection, each through either API: final at once.
                for party in (0, 1):
                    await deliver_to_every_party(
                        clients[(i + party) % 2],
                        {"id": case_id, "parties": [0, 1]},
                        app_headers,
                        parties=[party],
                    )

        await asyncio.gather(*(deliver(i, case_id) for i, case_id in enumerate(case_ids)))

        records = [
            (await clients[i % 2].get(f"/v1/cases/{case_id}", headers=app_headers)).json()
            for i, case_id in enumerate(case_ids)
        ]
        # case.reported, two case.confirmed, case.decided and case.decision_final of every
        # case go to the insurer of party 0.
        expected_messages = 5 * REPORTS
        await receiver.wait_for(expected_messages, timeout=120)
        for client in clients:
            await client.aclose()
    finally:
        stop(*apis + workers)

    database = Database(create_engine(postgres_url), url=postgres_url)
    async with database.session(write=False) as session:
        from sqlmodel import func, select

        from accident_online.models.webhook import WebhookMessage

        stored = (await session.exec(select(func.count()).select_from(WebhookMessage))).one()
        undelivered = (
            await session.exec(
                select(func.count())
                .select_from(WebhookMessage)
                .where(WebhookMessage.status != "delivered")
            )
        ).one()
    await database.dispose()

    numbers = [record["number"] for record in records]
    holders = Counter(record["decision"]["officer"]["username"] for record in records)
    duplicates = len(receiver.received) - len(receiver.delivered_ids)
    with capsys.disabled():
        print(
            f"\nscale-out: {REPORTS} reports via 2 APIs in {filed_at - started:.1f}s, "
            f"claimed+decided by {OFFICERS} officers in {decided_at - filed_at:.1f}s "
            f"({conflicts} lost races → 409); decisions per officer {dict(holders)}; "
            f"messages stored={stored} delivered={len(receiver.delivered_ids)} "
            f"undelivered={undelivered} duplicates={duplicates}"
        )
    assert len(set(numbers)) == REPORTS
    assert {record["center_id"] for record in records} == {"dongchangfu"}
    assert all(record["status"] == "final" for record in records)
    assert sorted(claims.values()) == [1] * REPORTS
    assert set(claims) == set(case_ids)
    assert stored == expected_messages
    assert undelivered == 0
    assert len(receiver.delivered_ids) == expected_messages

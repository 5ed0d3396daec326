"""Idempotency-Key on POST /v1/reports: replay, reuse, missing, concurrency."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from accident_online.auth.service import issue_access_token
from accident_online.partners.schemas import PartnerCreate
from accident_online.partners.service import register_partner


async def test_a_retry_replays_the_first_answer(
    client, app_headers, admin_headers, report_body
) -> None:
    body = report_body()
    headers = {**app_headers, "Idempotency-Key": "retry-after-timeout-1"}

    first = await client.post("/v1/reports", json=body, headers=headers)
    second = await client.post("/v1/reports", json=body, headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    cases = (await client.get("/v1/cases", headers=admin_headers)).json()["items"]
    assert len(cases) == 1


async def test_same_key_with_another_body_is_422(client, app_headers, report_body) -> None:
    headers = {**app_headers, "Idempotency-Key": "key-reused"}
    await client.post("/v1/reports", json=report_body(), headers=headers)

    other = await client.post(
        "/v1/reports", json=report_body(description="另一起事故"), headers=headers
    )

    assert other.status_code == 422
    assert other.json()["code"] == "idempotency-key-reused"


async def test_missing_or_invalid_key_is_400(client, app_headers, report_body) -> None:
    missing = await client.post("/v1/reports", json=report_body(), headers=app_headers)
    too_long = await client.post(
        "/v1/reports", json=report_body(), headers={**app_headers, "Idempotency-Key": "k" * 256}
    )
    assert missing.status_code == 400
    assert missing.json()["code"] == "idempotency-key-missing"
    assert too_long.status_code == 400
    assert too_long.json()["code"] == "idempotency-key-invalid"


async def test_a_refused_report_gives_its_key_back(client, app_headers, report_body) -> None:
    headers = {**app_headers, "Idempotency-Key": "fix-and-retry"}
    refused = await client.post("/v1/reports", json=report_body(injuries=True), headers=headers)
    fixed = await client.post("/v1/reports", json=report_body(), headers=headers)

    assert refused.status_code == 422
    assert fixed.status_code == 201
    assert "idempotent-replayed" not in fixed.headers


async def test_keys_belong_to_one_client(
    client, app_headers, make_partner, auth_headers, report_body
) -> None:
    from accident_online.auth.principal import Principal
    from accident_online.models.user import Role

    await make_partner("app-other", kind="app")
    other = auth_headers(
        Principal(subject="partner:app-other", role=Role.app, partner_id="app-other")
    )
    body = report_body()

    mine = await client.post(
        "/v1/reports", json=body, headers={**app_headers, "Idempotency-Key": "same"}
    )
    theirs = await client.post(
        "/v1/reports", json=body, headers={**other, "Idempotency-Key": "same"}
    )

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


async def _app_client_token(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    database = app.state.database
    async with database.session(write=True) as session:
        partner = await register_partner(
            session, PartnerCreate(id="app-concurrent", kind="app", name="App")
        )
    from accident_online.auth.principal import Principal
    from accident_online.models.user import Role

    principal = Principal(subject=f"partner:{partner.id}", role=Role.app, partner_id=partner.id)
    token = issue_access_token(principal, key=app.state.jwt_key, ttl_seconds=600)
    return {"Authorization": f"Bearer {token.access_token}"}


async def test_twenty_concurrent_identical_requests_make_exactly_one_case(
    committed_app, report_body
) -> None:
    headers = {**await _app_client_token(committed_app), "Idempotency-Key": str(uuid.uuid4())}
    body = report_body()
    transport = httpx.ASGITransport(app=committed_app, client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        responses = await asyncio.gather(
            *(client.post("/v1/reports", json=body, headers=headers) for _ in range(20))
        )
        statuses = sorted(r.status_code for r in responses)
        created = [r for r in responses if r.status_code == 201]
        ids = {r.json()["id"] for r in created}
        admin = {"Authorization": headers["Authorization"]}
        listed = (await client.get("/v1/cases?limit=200", headers=admin)).json()["items"]

    assert set(statuses) <= {201, 409}, statuses
    assert len(ids) == 1
    assert sum(1 for r in created if "idempotent-replayed" not in r.headers) == 1
    for conflict in (r for r in responses if r.status_code == 409):
        assert conflict.json()["code"] == "idempotency-key-in-progress"
    assert len(listed) == 1


async def test_concurrent_reports_get_distinct_case_numbers(committed_app, report_body) -> None:
    headers = await _app_client_token(committed_app)
    transport = httpx.ASGITransport(app=committed_app, client=("127.0.0.1", 1))

    def body(i: int) -> dict[str, object]:
        b = report_body()
        b["parties"][0]["plate"] = f"鲁P{i:05d}"  # type: ignore[index]
        return b

    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    "/v1/reports", json=body(i), headers={**headers, "Idempotency-Key": f"k{i}"}
                )
                for i in range(20)
            )
        )

    assert [r.status_code for r in responses] == [201] * 20
    numbers = [r.json()["number"] for r in responses]
    assert len(set(numbers)) == 20


async def test_a_key_past_its_24_hours_is_a_new_request(
    client, app_headers, report_body, database
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from accident_online.kit.idempotency_keys import IdempotencyKey
    from accident_online.kit.time import utc_now

    headers = {**app_headers, "Idempotency-Key": "kept-for-a-day"}
    body = report_body()
    first = await client.post("/v1/reports", json=body, headers=headers)
    async with database.session(write=True) as session:
        await session.exec(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == "kept-for-a-day")  # type: ignore[arg-type]
            .values(expires_at=utc_now() - timedelta(seconds=1))
        )

    again = await client.post("/v1/reports", json=body, headers=headers)
    replayed = await client.post("/v1/reports", json=body, headers=headers)

    assert first.status_code == again.status_code == replayed.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json()["id"] == again.json()["id"]


async def _until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    """Waits for ``condition()`` to hold; fails after 10 s instead of hanging."""
    for _ in range(2000):
        if await condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


async def _key_in_flight(app, key: str):  # type: ignore[no-untyped-def]
    return ("partner:app-concurrent", key) in getattr(app.state, "idempotency_keys_in_flight", ())


async def _hold_what_a_report_writes(session, backend: str) -> None:  # type: ignore[no-untyped-def]
    """Makes reports wait in their write until the session ends: on SQLite by holding the
    write lock, on PostgreSQL by locking the centers every case refers to."""
    from sqlalchemy import text

    if backend == "sqlite":
        await session.exec(text("UPDATE centers SET capacity = capacity"))
    else:
        await session.exec(text("SELECT id FROM centers FOR UPDATE"))


async def test_a_retry_while_the_first_is_still_running_is_409(
    committed_app, report_body, backend
) -> None:
    app = committed_app
    headers = {**await _app_client_token(app), "Idempotency-Key": "still-running"}
    body = report_body()
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        async with app.state.database.session(write=True) as blocker:
            await _hold_what_a_report_writes(blocker, backend)
            first = asyncio.create_task(client.post("/v1/reports", json=body, headers=headers))
            await _until(lambda: _key_in_flight(app, "still-running"), "the first holds its key")
            # Answered at once, while the first still waits for the blocker.
            retry = await client.post("/v1/reports", json=body, headers=headers)
            assert not first.done()
        answered = await first
        later = await client.post("/v1/reports", json=body, headers=headers)

    assert retry.status_code == 409, retry.text
    assert retry.json()["code"] == "idempotency-key-in-progress"
    assert answered.status_code == 201
    assert later.status_code == 201
    assert later.headers["idempotent-replayed"] == "true"
    assert later.json()["id"] == answered.json()["id"]


async def test_a_retry_to_another_process_while_the_first_runs(
    committed_app, fresh_database_url, settings_for, report_body, backend
) -> None:
    from sqlalchemy import text

    from accident_online.app import create_app

    first_app = committed_app
    other_app = create_app(settings_for(fresh_database_url))  # another API process
    headers = {**await _app_client_token(first_app), "Idempotency-Key": "two-processes"}
    body = report_body()

    def client_of(app):  # type: ignore[no-untyped-def]
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        return httpx.AsyncClient(transport=transport, base_url="http://t")

    try:
        async with client_of(first_app) as first_client, client_of(other_app) as other_client:
            async with first_app.state.database.session(write=True) as blocker:
                await _hold_what_a_report_writes(blocker, backend)
                first = asyncio.create_task(
                    first_client.post("/v1/reports", json=body, headers=headers)
                )
                await _until(
                    lambda: _key_in_flight(first_app, "two-processes"), "the first holds its key"
                )
                if backend == "postgresql":
                    # The first holds the key's advisory lock in its write: 409 at once.
                    locks = text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    )

                    async def key_locked() -> bool:
                        return bool((await blocker.exec(locks)).scalar())  # type: ignore[call-overload]

                    await _until(key_locked, "the first locks its key in its write")
                    retry = await other_client.post("/v1/reports", json=body, headers=headers)
                    assert not first.done()
                else:
                    # SQLite has one writer: the retry waits for the write lock.
                    retry_task = asyncio.create_task(
                        other_client.post("/v1/reports", json=body, headers=headers)
                    )
            answered = await first
            if backend == "sqlite":
                retry = await retry_task
    finally:
        await other_app.state.database.dispose()

    if backend == "postgresql":
        assert retry.status_code == 409, retry.text
        assert retry.json()["code"] == "idempotency-key-in-progress"
        assert answered.status_code == 201
    else:
        # Whichever wrote first made the case; the other replays its answer.
        assert answered.status_code == retry.status_code == 201
        assert answered.json()["id"] == retry.json()["id"]
        assert sum("idempotent-replayed" in r.headers for r in (answered, retry)) == 1

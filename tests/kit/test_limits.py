"""Body size limits (413) and per-client rate limits (429), as problems."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio

from accident_online.app import create_app

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def limited_client(settings_for, database_url, database):  # type: ignore[no-untyped-def]
    def build(**overrides: object) -> httpx.AsyncClient:
        app = create_app(settings_for(database_url, **overrides), database=database)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        return httpx.AsyncClient(transport=transport, base_url="http://t")

    return build


async def test_a_json_body_over_the_limit_is_413_before_reading_it(
    limited_client, admin_headers
) -> None:
    async with limited_client(max_body_bytes=2048) as client:
        response = await client.post(
            "/v1/partners",
            content=b'{"id": "x", "name": "' + b"x" * 4000 + b'"}',
            headers={**admin_headers, "content-type": "application/json"},
        )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "payload-too-large"


async def test_a_streamed_body_over_the_limit_is_413(limited_client, admin_headers) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b" " * 1000

    async with limited_client(max_body_bytes=2048) as client:
        response = await client.post(
            "/v1/partners",
            content=chunks(),
            headers={**admin_headers, "content-type": "application/json"},
        )
        listed = await client.get("/v1/partners", headers=admin_headers)
    assert response.status_code == 413
    assert response.json()["code"] == "payload-too-large"
    assert listed.json()["items"] == []


async def test_sign_in_is_rate_limited_per_client(limited_client) -> None:
    async with limited_client(rate_limit_sign_in_per_minute=6) as client:
        responses = [
            await client.post(
                "/v1/auth/token",
                data={"grant_type": "password", "username": f"u{n}", "password": "p"},
            )
            for n in range(7)
        ]
    assert [r.status_code for r in responses[:6]] == [401] * 6
    limited = responses[-1]
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate-limited"
    assert limited.json()["error"] == "invalid_request"
    assert 1 <= int(limited.headers["retry-after"]) <= 60


async def test_reports_are_rate_limited_per_app(limited_client, app_headers, report_body) -> None:
    async with limited_client(rate_limit_reports_per_minute=3) as client:
        responses = [
            await client.post(
                "/v1/reports",
                json=report_body(),
                headers={**app_headers, "Idempotency-Key": uuid.uuid4().hex},
            )
            for _ in range(4)
        ]
    assert [r.status_code for r in responses] == [201, 201, 201, 429]
    assert responses[-1].json()["code"] == "rate-limited"
    assert 1 <= int(responses[-1].headers["retry-after"]) <= 60


async def test_replayed_reports_do_not_count_and_replay_when_the_budget_is_spent(
    limited_client, app_headers, report_body
) -> None:
    body = report_body()
    async with limited_client(rate_limit_reports_per_minute=2) as client:
        first = await client.post(
            "/v1/reports", json=body, headers={**app_headers, "Idempotency-Key": "again"}
        )
        replays = [
            await client.post(
                "/v1/reports", json=body, headers={**app_headers, "Idempotency-Key": "again"}
            )
            for _ in range(3)
        ]
        second = await client.post(
            "/v1/reports",
            json=report_body(),
            headers={**app_headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        refused = await client.post(
            "/v1/reports",
            json=report_body(),
            headers={**app_headers, "Idempotency-Key": "refused"},
        )
        replay_when_spent = await client.post(
            "/v1/reports", json=body, headers={**app_headers, "Idempotency-Key": "again"}
        )
        listed = await client.get("/v1/cases", headers=app_headers)

    assert first.status_code == 201
    assert [r.status_code for r in replays] == [201, 201, 201]
    assert all(r.headers["idempotent-replayed"] == "true" for r in replays)
    assert second.status_code == 201  # the replays cost nothing
    assert refused.status_code == 429
    assert replay_when_spent.status_code == 201
    assert replay_when_spent.json()["id"] == first.json()["id"]
    assert listed.status_code == 200
    assert {case["id"] for case in listed.json()["items"]} == {
        first.json()["id"],
        second.json()["id"],
    }


def _redis_settings() -> dict[str, object]:
    return {"redis_url": REDIS_URL, "redis_key_prefix": f"ao-test-{uuid.uuid4().hex}"}


@pytest.fixture
async def redis_prefix() -> AsyncIterator[dict[str, object]]:
    """Redis settings with a key prefix of this test's own; its keys are deleted after."""
    settings = _redis_settings()
    yield settings
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{settings['redis_key_prefix']}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def test_two_processes_share_one_budget_in_redis(
    settings_for, database_url, database, redis_prefix
) -> None:
    def client_of(**overrides: object) -> httpx.AsyncClient:
        app = create_app(
            settings_for(database_url, rate_limit_sign_in_per_minute=4, **overrides),
            database=database,
        )
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
        return httpx.AsyncClient(transport=transport, base_url="http://t")

    form = {"grant_type": "password", "username": "nobody", "password": "p"}
    async with client_of(**redis_prefix) as one, client_of(**redis_prefix) as two:
        statuses = [
            (await (one if n % 2 else two).post("/v1/auth/token", data=form)).status_code
            for n in range(5)
        ]
    # In memory each process would allow 4 (8 in all); in Redis they share 4.
    async with client_of() as alone_one, client_of() as alone_two:
        alone = [
            (
                await (alone_one if n % 2 else alone_two).post("/v1/auth/token", data=form)
            ).status_code
            for n in range(5)
        ]

    assert statuses == [401, 401, 401, 401, 429]
    assert alone == [401] * 5


async def test_lockouts_are_shared_in_redis(
    settings_for, database_url, database, redis_prefix, make_user
) -> None:
    await make_user("officer.qin", password="the-right-password")

    def client_of() -> httpx.AsyncClient:
        app = create_app(settings_for(database_url, **redis_prefix), database=database)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 5000))
        return httpx.AsyncClient(transport=transport, base_url="http://t")

    wrong = {"grant_type": "password", "username": "officer.qin", "password": "guess-guess"}
    right = {**wrong, "password": "the-right-password"}
    async with client_of() as one, client_of() as two:
        for n in range(5):
            assert (
                await (one if n % 2 else two).post("/v1/auth/token", data=wrong)
            ).status_code == 401
        locked_elsewhere = await two.post("/v1/auth/token", data=right)

    assert locked_elsewhere.status_code == 429
    assert locked_elsewhere.json()["code"] == "sign-in-locked"


def counted(total: int, chunk: int = 64 * 1024):  # type: ignore[no-untyped-def]
    """A streamed body of ``total`` bytes, and a list that grows by one per chunk sent."""
    sent: list[int] = []

    async def body():  # type: ignore[no-untyped-def]
        for _ in range(total // chunk):
            sent.append(chunk)
            yield b"-" * chunk

    return body(), sent


MULTIPART = "multipart/form-data; boundary=xyz"


@pytest.mark.parametrize(
    ("path", "caller"),
    [
        ("/v1/webhooks/picc", None),
        ("/v1/auth/token", None),
        ("/v1/partners", "admin"),
        ("/v1/reports", "app"),
    ],
)
async def test_multipart_is_415_unread_where_no_upload_is_taken(
    limited_client, admin_headers, app_headers, path: str, caller: str | None
) -> None:
    auth = {"admin": admin_headers, "app": app_headers}.get(caller or "", {})
    body, sent = counted(9 * 1024 * 1024)
    async with limited_client() as client:
        streamed = await client.post(
            path, content=body, headers={**auth, "content-type": MULTIPART}
        )
        declared = await client.post(
            path,
            content=b"-" * (9 * 1024 * 1024),
            headers={**auth, "content-type": MULTIPART.upper()},
        )
    for response in (streamed, declared):
        assert response.status_code == 415, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "multipart-not-accepted"
    assert len(sent) <= 1


async def test_the_upload_limit_holds_only_for_multipart_on_the_upload_route(
    limited_client, app_headers, file_report, png
) -> None:
    async with limited_client(max_body_bytes=2048) as client:
        case = (await file_report()).json()
        url = f"/v1/cases/{case['id']}/evidence"
        photo = png(7) + b"\x00" * 8192  # a PNG with trailing bytes: over the JSON limit
        uploaded = await client.post(
            url,
            data={"kind": "overview_front"},
            files={"file": ("front.png", photo, "image/png")},
            headers=app_headers,
        )
        not_multipart = await client.post(
            url, content=b"-" * 8192, headers={**app_headers, "content-type": "image/png"}
        )
    assert uploaded.status_code == 201, uploaded.text
    assert not_multipart.status_code == 413
    assert not_multipart.json()["code"] == "payload-too-large"


async def _named_clients(name: str) -> int:
    """How many connections Redis has open under this client name."""
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        listed = await client.client_list()
    finally:
        await client.aclose()
    return sum(1 for connection in listed if connection.get("name") == name)


async def test_the_redis_connections_close_at_shutdown(
    settings_for, database_url, database, redis_prefix
) -> None:
    app = create_app(settings_for(database_url, **redis_prefix), database=database)
    name = str(redis_prefix["redis_key_prefix"])
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5000))
    form = {"grant_type": "password", "username": "nobody", "password": "p"}

    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.post("/v1/auth/token", data=form)).status_code == 401
        open_while_serving = await _named_clients(name)

    assert open_while_serving >= 1
    assert await _named_clients(name) == 0

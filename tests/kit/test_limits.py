"""Body size limits (413) and per-client rate limits (429), as problems."""

from __future__ import annotations

import uuid

import httpx
import pytest

from accident_online.app import create_app
from accident_online.kit.limits import RateLimited, RateLimiter


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
        statuses = [
            (
                await client.post(
                    "/v1/auth/token",
                    data={"grant_type": "password", "username": "u", "password": "p"},
                )
            )
            for _ in range(4)
        ]
    assert [r.status_code for r in statuses[:2]] == [401, 401]
    limited = statuses[-1]
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate-limited"
    assert int(limited.headers["retry-after"]) >= 1


async def test_reports_are_rate_limited_per_app(limited_client, app_headers, report_body) -> None:
    async with limited_client(rate_limit_reports_per_minute=6) as client:
        responses = [
            await client.post(
                "/v1/reports",
                json=report_body(),
                headers={**app_headers, "Idempotency-Key": uuid.uuid4().hex},
            )
            for _ in range(3)
        ]
    assert responses[0].status_code == 201
    assert responses[-1].status_code == 429
    assert "retry-after" in responses[-1].headers


def test_the_bucket_refills_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    limiter.check("a")
    limiter.check("a")
    with pytest.raises(RateLimited):
        limiter.check("a")
    limiter.check("b")
    now[0] = 1.0
    limiter.check("a")


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

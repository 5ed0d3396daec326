"""/healthz, /readyz and /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from accident_online.app import create_app
from accident_online.settings import Settings


@asynccontextmanager
async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 51000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client
    finally:
        await app.state.database.dispose()


async def test_healthz(client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_on_a_migrated_database(client, backend) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert response.json()["database"] == backend


async def test_not_ready_on_a_database_behind_head(settings_for, fresh_database_url) -> None:
    async with client_for(settings_for(fresh_database_url)) as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not-ready"
    assert "accident-online migrate" in response.json()["detail"]


async def test_not_ready_when_the_database_is_down(settings_for, backend, tmp_path) -> None:
    unreachable = {
        "sqlite": f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/x.db",
        "postgresql": "postgresql+asyncpg://postgres@127.0.0.1:9/nowhere",
    }[backend]
    async with client_for(settings_for(unreachable, database_connect_timeout_seconds=1)) as client:
        ready = await client.get("/readyz", headers={"Accept-Language": "en"})
        alive = await client.get("/healthz")

    assert ready.status_code == 503
    assert ready.headers["Retry-After"] == "5"  # as the OpenAPI document declares
    assert ready.json()["code"] == "not-ready"
    assert ready.json()["detail"] == "The database is unreachable."
    assert alive.status_code == 200


async def test_metrics_count_requests_by_route_template(client, admin_headers) -> None:
    await client.get("/v1/partners/some-partner", headers=admin_headers)
    await client.get("/v1/partners/other-partner", headers=admin_headers)
    await client.get("/no/such/path/12345")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert (
        'http_requests_total{method="GET",route="/v1/partners/{partner_id}",status="404"} 2.0'
        in text
    )
    assert 'route="<unmatched>"' in text
    assert "/no/such/path/12345" not in text
    assert "http_request_duration_seconds_bucket" in text


async def test_metrics_are_hidden_from_outside_networks(app) -> None:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as outsider:
        response = await outsider.get("/metrics")
    assert response.status_code == 404


async def test_metrics_show_cases_queues_and_deliveries(client, queued_case, make_partner) -> None:
    await make_partner(
        "picc-metrics", kind="insurer", insurer_codes=["PICC"], webhook_url="http://127.0.0.1:9/x"
    )
    await queued_case()

    text = (await client.get("/metrics")).text

    assert 'accident_online_cases{center="dongchangfu",status="queued"} 1.0' in text
    assert 'accident_online_queue_depth{center="dongchangfu"} 1.0' in text
    # case.reported and each party's case.confirmed
    assert 'accident_online_webhook_messages{status="pending"} 3.0' in text
    assert 'accident_online_overdue_determinations{center="dongchangfu"} 0.0' in text
    assert "accident_online_webhook_delivery_lag_seconds " in text
    assert "# TYPE accident_online_webhook_attempts_total counter" in text

"""GET /v1/deliveries, GET /v1/deliveries/{id}, POST /v1/deliveries/{id}/retry."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from accident_online.auth.principal import Principal
from accident_online.kit.time import utc_now
from accident_online.models.partner import Partner
from accident_online.models.user import Role
from accident_online.models.webhook import DeliveryStatus, WebhookAttempt, WebhookMessage

PICC = Principal(subject="partner:picc", role=Role.insurer, partner_id="picc")


@pytest.fixture
async def reported_case(client, admin_headers, app_headers, file_report):  # type: ignore[no-untyped-def]
    """A filed report whose case.reported went to the app and to party 0's insurer."""
    insurer = await client.post(
        "/v1/partners",
        json={
            "id": "picc",
            "kind": "insurer",
            "name": "PICC 聊城",
            "webhook_url": "http://127.0.0.1:9/picc",
            "insurer_codes": ["PICC"],
        },
        headers=admin_headers,
    )
    app = await client.patch(
        "/v1/partners/app-lc", json={"webhook_url": "http://127.0.0.1:9/app"}, headers=admin_headers
    )
    assert insurer.status_code == 201, insurer.text
    assert app.status_code == 200, app.text
    return (await file_report()).json()


async def message_of(session, partner_id: str) -> WebhookMessage:  # type: ignore[no-untyped-def]
    rows = await session.exec(select(WebhookMessage).where(WebhookMessage.partner_id == partner_id))
    return rows.one()


async def test_admin_sees_every_delivery_and_filters_them(
    client, admin_headers, reported_case
) -> None:
    async def ids(**params: str) -> list[str]:
        response = await client.get("/v1/deliveries", params=params, headers=admin_headers)
        assert response.status_code == 200, response.text
        return [item["partner_id"] for item in response.json()["items"]]

    listed = await client.get("/v1/deliveries", headers=admin_headers)

    items = listed.json()["items"]
    assert sorted(item["partner_id"] for item in items) == ["app-lc", "picc"]
    assert listed.json()["next_cursor"] is None
    first = items[0]
    assert first["id"].startswith("msg_")
    assert first["event_type"] == "case.reported"
    assert first["case_id"] == reported_case["id"]
    assert 1 <= first["case_version"] <= reported_case["version"]
    assert first["status"] == "pending"
    assert first["attempts"] == 0
    assert first["delivered_at"] is None
    assert set(first) >= {"created_at", "next_attempt_at", "last_status_code", "last_error"}
    assert [(i["created_at"], i["id"]) for i in items] == sorted(
        ((i["created_at"], i["id"]) for i in items), reverse=True
    )
    assert await ids(partner_id="picc") == ["picc"]
    assert len(await ids(event_type="case.reported")) == 2
    assert await ids(event_type="case.decided") == []
    assert len(await ids(status="pending")) == 2
    assert await ids(status="dead") == []
    assert len(await ids(case_id=reported_case["id"])) == 2
    assert await ids(case_id=str(uuid.uuid4())) == []


async def test_a_partner_sees_only_its_own_deliveries(
    client, auth_headers, admin_headers, reported_case, session
) -> None:
    picc = auth_headers(PICC)
    theirs = await message_of(session, "app-lc")
    mine = await message_of(session, "picc")

    listed = await client.get("/v1/deliveries", headers=picc)
    asking_for_others = await client.get("/v1/deliveries?partner_id=app-lc", headers=picc)
    own = await client.get(f"/v1/deliveries/{mine.id}", headers=picc)
    other = await client.get(f"/v1/deliveries/{theirs.id}", headers=picc)

    assert [item["id"] for item in listed.json()["items"]] == [mine.id]
    assert asking_for_others.json()["items"] == []
    assert own.status_code == 200
    assert own.json()["payload"]["type"] == "case.reported"
    assert own.json()["payload"]["data"]["case_id"] == reported_case["id"]
    assert own.json()["attempt_log"] == []
    assert other.status_code == 404
    assert other.json()["code"] == "delivery-not-found"


async def test_officers_may_not_and_strangers_must_sign_in(
    client, officer_headers, reported_case, session
) -> None:
    message = await message_of(session, "picc")

    as_officer = await client.get("/v1/deliveries", headers=officer_headers)
    one_as_officer = await client.get(f"/v1/deliveries/{message.id}", headers=officer_headers)
    retry_as_officer = await client.post(
        f"/v1/deliveries/{message.id}/retry", headers=officer_headers
    )
    anonymous = await client.get("/v1/deliveries")

    assert as_officer.status_code == 403
    assert as_officer.json()["code"] == "forbidden"
    assert one_as_officer.status_code == 403
    assert retry_as_officer.status_code == 403
    assert anonymous.status_code == 401


async def test_deliveries_page_newest_first(client, admin_headers, reported_case) -> None:
    everything = (await client.get("/v1/deliveries", headers=admin_headers)).json()["items"]

    first = await client.get("/v1/deliveries?limit=1", headers=admin_headers)
    second = await client.get(
        "/v1/deliveries",
        params={"limit": 1, "cursor": first.json()["next_cursor"]},
        headers=admin_headers,
    )
    bad = await client.get("/v1/deliveries?cursor=bm9wZQ", headers=admin_headers)

    assert [i["id"] for i in first.json()["items"] + second.json()["items"]] == [
        i["id"] for i in everything
    ]
    assert second.json()["next_cursor"] is None
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid-cursor"


async def test_a_delivery_shows_its_attempts(client, admin_headers, reported_case, session) -> None:
    message = await message_of(session, "picc")
    started = utc_now() - timedelta(minutes=1)
    session.add_all(
        [
            WebhookAttempt(
                message_id=message.id,
                number=number,
                worker="worker-1",
                started_at=started + timedelta(seconds=number),
                duration_ms=120,
                status_code=code,
                outcome=outcome,
                error=error,
                response_excerpt=excerpt,
            )
            for number, code, outcome, error, excerpt in (
                (1, None, "timeout", "timed out: ReadTimeout", None),
                (2, 503, "http_error", "HTTP 503", "维护中"),
            )
        ]
    )
    message.attempts = 2
    message.last_status_code = 503
    message.last_error = "HTTP 503"
    session.add(message)
    await session.commit()

    detail = (await client.get(f"/v1/deliveries/{message.id}", headers=admin_headers)).json()

    assert detail["attempts"] == 2
    assert detail["last_status_code"] == 503
    assert [
        (a["number"], a["status_code"], a["outcome"], a["error"], a["response_excerpt"])
        for a in detail["attempt_log"]
    ] == [
        (1, None, "timeout", "timed out: ReadTimeout", None),
        (2, 503, "http_error", "HTTP 503", "维护中"),
    ]
    assert all(a["duration_ms"] == 120 for a in detail["attempt_log"])


async def test_retry_keeps_the_id_and_only_an_admin_reenables_a_disabled_endpoint(
    client, admin_headers, auth_headers, reported_case, session
) -> None:
    message = await message_of(session, "picc")
    original_id = message.id
    message.status = DeliveryStatus.disabled
    message.attempts = 3
    message.last_status_code = 410
    message.locked_by = "worker-gone"
    message.locked_until = utc_now() + timedelta(minutes=5)
    message.next_attempt_at = utc_now() + timedelta(hours=5)
    partner = await session.get(Partner, "picc")
    assert partner is not None
    partner.webhook_disabled_at = utc_now()
    session.add_all([message, partner])
    await session.commit()
    app_message = await message_of(session, "app-lc")
    before_retry = utc_now()

    by_stranger = await client.post(
        f"/v1/deliveries/{original_id}/retry",
        headers=auth_headers(
            Principal(subject="partner:app-lc", role=Role.app, partner_id="app-lc")
        ),
    )
    by_partner = await client.post(
        f"/v1/deliveries/{original_id}/retry", headers=auth_headers(PICC)
    )
    partner_paused = await client.get("/v1/partners/picc", headers=admin_headers)
    await session.refresh(message)
    untouched = (message.status, message.locked_by, message.next_attempt_at)
    retried = await client.post(f"/v1/deliveries/{original_id}/retry", headers=admin_headers)
    by_admin = await client.post(f"/v1/deliveries/{app_message.id}/retry", headers=admin_headers)
    partner_after = await client.get("/v1/partners/picc", headers=admin_headers)
    await session.refresh(message)
    messages = (
        await session.exec(select(WebhookMessage).where(WebhookMessage.partner_id == "picc"))
    ).all()

    assert by_stranger.status_code == 404
    assert by_partner.status_code == 409, by_partner.text
    assert by_partner.headers["content-type"].startswith("application/problem+json")
    assert by_partner.json()["type"].endswith("endpoint-disabled")
    assert partner_paused.json()["webhook_disabled_at"] is not None
    assert untouched[:2] == (DeliveryStatus.disabled, "worker-gone")
    assert untouched[2] > utc_now() + timedelta(hours=4)
    assert retried.status_code == 200, retried.text
    body = retried.json()
    assert body["id"] == original_id
    assert body["status"] == "pending"
    assert body["attempts"] == 3
    assert before_retry <= datetime.fromisoformat(body["next_attempt_at"]) <= utc_now()
    assert (message.locked_by, message.locked_until) == (None, None)
    assert [m.id for m in messages] == [original_id]
    assert partner_after.json()["webhook_disabled_at"] is None
    assert by_admin.status_code == 200

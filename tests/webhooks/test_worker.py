"""Outbound webhooks end to end: the outbox, the worker, a real receiver on loopback."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import col, select
from standardwebhooks import Webhook

from accident_online.auth.principal import Principal
from accident_online.auth.service import issue_access_token
from accident_online.kit.signing import InvalidSignature, sign, verify
from accident_online.kit.time import utc_now
from accident_online.models.partner import Partner
from accident_online.models.user import Role
from accident_online.models.webhook import WebhookAttempt, WebhookMessage
from accident_online.partners.schemas import PartnerCreate
from accident_online.partners.service import register_partner
from accident_online.webhooks.outbox import new_message_id
from accident_online.webhooks.worker import DeliveryWorker, WorkerSettings, parse_retry_after

FAST = WorkerSettings(
    retry_schedule=[0.05, 0.1, 0.2, 0.3],
    timeout_seconds=1.0,
    allow_private_targets=True,
    idle_seconds=0.02,
)


def worker_for(app, settings: WorkerSettings = FAST, name: str | None = None) -> DeliveryWorker:  # type: ignore[no-untyped-def]
    return DeliveryWorker(app.state.database, settings, name=name)


@contextlib.asynccontextmanager
async def running(*workers: DeliveryWorker) -> AsyncIterator[None]:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(w.run(stop)) for w in workers]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def add_partner(app, partner_id: str, url: str, kind: str = "app", **fields: object):  # type: ignore[no-untyped-def]
    async with app.state.database.session(write=True) as session:
        return await register_partner(
            session,
            PartnerCreate.model_validate(
                {"id": partner_id, "kind": kind, "name": partner_id, "webhook_url": url, **fields}
            ),
            allow_private_targets=True,
        )


async def add_messages(app, partner_id: str, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    ids = [new_message_id() for _ in range(count)]
    async with app.state.database.session(write=True) as session:
        session.add_all(
            WebhookMessage(
                id=message_id,
                partner_id=partner_id,
                event_type="case.decided",
                body=json.dumps(
                    {"type": "case.decided", "timestamp": utc_now().isoformat(), "data": {"n": n}}
                ),
            )
            for n, message_id in enumerate(ids)
        )
    return ids


async def messages(app) -> dict[str, WebhookMessage]:  # type: ignore[no-untyped-def]
    async with app.state.database.session(write=False) as session:
        return {m.id: m for m in (await session.exec(select(WebhookMessage))).all()}


async def attempts_of(app, message_id: str) -> list[WebhookAttempt]:  # type: ignore[no-untyped-def]
    async with app.state.database.session(write=False) as session:
        rows = await session.exec(
            select(WebhookAttempt)
            .where(WebhookAttempt.message_id == message_id)
            .order_by(col(WebhookAttempt.number))
        )
        return list(rows.all())


async def wait_until_settled(app, ids: list[str], timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    """Until none of the messages is pending any more."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        current = await messages(app)
        if all(current[i].status != "pending" for i in ids):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("messages still pending")


def test_standard_webhooks_published_test_vector() -> None:
    # From the Standard Webhooks specification's reference test.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    timestamp = datetime.fromtimestamp(1614265330, UTC)
    body = '{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    assert sign([secret], msg_id=msg_id, timestamp=timestamp, body=body) == expected
    assert Webhook(secret).sign(msg_id, timestamp, body) == expected


def test_verify_refuses_malformed_headers_without_crashing() -> None:
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    now = str(int(utc_now().timestamp()))
    for headers in (
        {},
        {"webhook-id": "m", "webhook-timestamp": now, "webhook-signature": "garbage"},
        {"webhook-id": "m", "webhook-timestamp": "soon", "webhook-signature": "v1,abc"},
        {"webhook-id": "m", "webhook-timestamp": now, "webhook-signature": "v1,!!!notbase64"},
    ):
        with pytest.raises(InvalidSignature):
            verify([secret], body=b"{}", headers=headers)


def test_retry_after_seconds_and_dates() -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7", now=now) == timedelta(seconds=7)
    assert parse_retry_after("Sat, 28 Nov 2026 12:00:30 GMT", now=now) == timedelta(seconds=30)
    assert parse_retry_after("999999999", now=now) == timedelta(hours=24)
    assert parse_retry_after("soon", now=now) is None


async def test_a_report_reaches_the_app_and_insurer_signed_and_verifiable(
    committed_app, receiver, report_body
) -> None:
    app_partner = await add_partner(committed_app, "app-hooks", receiver.url)
    insurer = await add_partner(
        committed_app, "picc-hooks", receiver.url, kind="insurer", insurer_codes=["PICC"]
    )
    principal = Principal(subject="partner:app-hooks", role=Role.app, partner_id="app-hooks")
    token = issue_access_token(
        principal, key=committed_app.state.jwt_key, ttl_seconds=60
    ).access_token
    transport = httpx.ASGITransport(app=committed_app, client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        created = await client.post(
            "/v1/reports",
            json=report_body(),
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "hooks-1"},
        )
    case = created.json()

    async with running(worker_for(committed_app)):
        await receiver.wait_for(2)

    by_secret = {app_partner.webhook_secret: None, insurer.webhook_secret: None}
    verified = 0
    for hook in receiver.received:
        for secret in by_secret:
            with contextlib.suppress(Exception):
                payload = Webhook(secret).verify(hook.body, hook.headers)
                verified += 1
                assert payload["type"] == "case.reported"
                assert payload["data"]["case_id"] == case["id"]
                assert payload["data"]["case_number"] == case["number"]
                assert payload["data"]["case_version"] >= 2
    assert verified == 2
    insurer_hook = next(h for h in receiver.received if "insured_parties" in h.json["data"])
    assert insurer_hook.json["data"]["insured_parties"] == [0]


async def test_failures_are_retried_until_delivered_with_the_same_id(
    committed_app, receiver
) -> None:
    def flaky(_: str, attempt: int) -> tuple[int, dict[str, str], float]:
        if attempt == 1:
            return 500, {}, 0.0
        if attempt == 2:
            return 200, {}, 1.5  # slower than the worker's 1 s timeout
        if attempt == 3:
            return 503, {"Retry-After": "1"}, 0.0
        return 200, {}, 0.0

    receiver.script = flaky
    await add_partner(committed_app, "app-flaky", receiver.url)
    [message_id] = await add_messages(committed_app, "app-flaky", 1)

    async with running(worker_for(committed_app)):
        await wait_until_settled(committed_app, [message_id])

    assert receiver.attempts[message_id] == 4
    assert receiver.delivered_ids == {message_id}
    outcomes = [
        (a.number, a.outcome, a.status_code) for a in await attempts_of(committed_app, message_id)
    ]
    assert outcomes == [
        (1, "http_error", 500),
        (2, "timeout", None),
        (3, "http_error", 503),
        (4, "delivered", 200),
    ]
    attempts = await attempts_of(committed_app, message_id)
    assert (attempts[3].started_at - attempts[2].started_at) >= timedelta(
        seconds=0.9
    )  # Retry-After: 1
    assert attempts[0].response_excerpt == "status 500"
    final = (await messages(committed_app))[message_id]
    assert final.status == "delivered"
    assert final.attempts == 4


async def test_connection_refused_then_the_receiver_comes_up(
    committed_app, unstarted_receiver, serve_receiver
) -> None:
    await add_partner(committed_app, "app-down", unstarted_receiver.url)
    ids = await add_messages(committed_app, "app-down", 3)
    slow = WorkerSettings(
        retry_schedule=[0.2] * 30,
        timeout_seconds=1.0,
        allow_private_targets=True,
        idle_seconds=0.02,
    )

    async with running(worker_for(committed_app, slow)):
        await asyncio.sleep(0.8)
        refused = await attempts_of(committed_app, ids[0])
        async with serve_receiver(unstarted_receiver):
            await unstarted_receiver.wait_for(3, timeout=30)

    assert refused
    assert {a.outcome for a in refused} == {"connection_error"}
    assert unstarted_receiver.delivered_ids == set(ids)


async def test_the_last_failure_makes_the_delivery_dead(committed_app, receiver) -> None:
    receiver.script = lambda _id, _n: (500, {}, 0.0)
    await add_partner(committed_app, "app-broken", receiver.url)
    [message_id] = await add_messages(committed_app, "app-broken", 1)

    async with running(worker_for(committed_app)):
        await wait_until_settled(committed_app, [message_id])

    final = (await messages(committed_app))[message_id]
    assert final.status == "dead"
    assert final.attempts == len(FAST.retry_schedule) + 1
    assert receiver.attempts[message_id] == len(FAST.retry_schedule) + 1


async def test_410_disables_the_endpoint(committed_app, receiver) -> None:
    receiver.script = lambda _id, _n: (410, {}, 0.0)
    await add_partner(committed_app, "app-gone", receiver.url)
    first, second = await add_messages(committed_app, "app-gone", 2)

    worker = worker_for(committed_app)
    await worker.run_once()
    await worker.run_once()

    final = await messages(committed_app)
    assert final[first].status == final[second].status == "disabled"
    async with committed_app.state.database.session(write=False) as session:
        partner = await session.get(Partner, "app-gone")
    assert partner is not None
    assert partner.webhook_disabled_at is not None
    assert sum(receiver.attempts.values()) <= 2


async def test_a_disabled_partner_is_sent_nothing(committed_app, receiver) -> None:
    from accident_online.kit.time import utc_now

    await add_partner(committed_app, "app-disabled", receiver.url)
    (message,) = await add_messages(committed_app, "app-disabled", 1)
    async with committed_app.state.database.session(write=True) as session:
        partner = await session.get(Partner, "app-disabled")
        assert partner is not None
        partner.disabled_at = utc_now()
        session.add(partner)

    await worker_for(committed_app).run_once()

    final = await messages(committed_app)
    assert final[message].status == "disabled"
    assert receiver.attempts == {}


async def test_private_targets_are_refused_when_not_allowed(committed_app, receiver) -> None:
    await add_partner(committed_app, "app-private", receiver.url)
    [message_id] = await add_messages(committed_app, "app-private", 1)
    guarded = WorkerSettings(retry_schedule=[60], timeout_seconds=1, allow_private_targets=False)

    await worker_for(committed_app, guarded).run_once()

    assert receiver.attempts[message_id] == 0
    [attempt] = await attempts_of(committed_app, message_id)
    assert attempt.outcome == "blocked"


async def test_rotation_signs_with_old_and_new_secret(committed_app, receiver) -> None:
    created = await add_partner(committed_app, "app-rotating", receiver.url)
    new_secret = "whsec_" + base64.b64encode(uuid.uuid4().bytes * 2).decode()
    async with committed_app.state.database.session(write=True) as session:
        partner = await session.get(Partner, "app-rotating")
        assert partner is not None
        partner.previous_webhook_secret = partner.webhook_secret
        partner.previous_secret_expires_at = utc_now() + timedelta(hours=24)
        partner.webhook_secret = new_secret
        session.add(partner)
    await add_messages(committed_app, "app-rotating", 1)

    await worker_for(committed_app).run_once()

    [hook] = receiver.received
    assert len(hook.headers["webhook-signature"].split(" ")) == 2
    Webhook(created.webhook_secret).verify(hook.body, hook.headers)
    Webhook(new_secret).verify(hook.body, hook.headers)

"""Every insurer of a vehicle receives its events, each told of its own policy only
(issue 13): real loopback HTTP, signed deliveries, both databases."""

from __future__ import annotations

import httpx
from standardwebhooks import Webhook
from tests.webhooks.test_worker import add_partner, running, worker_for

from accident_online.auth.principal import Principal
from accident_online.auth.service import issue_access_token
from accident_online.models.user import Role


async def test_compulsory_and_commercial_insurers_each_see_their_own_policy(
    committed_app, receiver, report_body
) -> None:
    await add_partner(committed_app, "app-hooks", receiver.url)
    secrets = {}
    for partner_id, code in (("picc", "PICC"), ("pingan", "PINGAN"), ("cpic", "CPIC")):
        made = await add_partner(
            committed_app, partner_id, receiver.url, kind="insurer", insurer_codes=[code]
        )
        secrets[partner_id] = made.webhook_secret
    principal = Principal(subject="partner:app-hooks", role=Role.app, partner_id="app-hooks")
    token = issue_access_token(
        principal, key=committed_app.state.jwt_key, ttl_seconds=60
    ).access_token
    transport = httpx.ASGITransport(app=committed_app, client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        created = await client.post(
            "/v1/reports",
            json=report_body(),
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "two-insurers"},
        )
    assert created.status_code == 201, created.text

    async with running(worker_for(committed_app)):
        await receiver.wait_for(4)  # the app and three insurers

    seen = {}
    for hook in receiver.received:
        for partner_id, secret in secrets.items():
            try:
                payload = Webhook(secret).verify(hook.body, hook.headers)
            except Exception:  # noqa: S112 (signed for another partner)
                continue
            seen[partner_id] = (payload["data"], hook.body.decode())
    assert set(seen) == {"picc", "pingan", "cpic"}
    picc, pingan, cpic = (seen[p][0] for p in ("picc", "pingan", "cpic"))
    # 甲's 交强险 with PICC, its commercial policy with PINGAN; 乙's 交强险 with CPIC.
    assert picc["insured_parties"] == [0]
    assert picc["insured_policies"] == [
        {"party": 0, "policy": "compulsory", "policy_number": "PDZA202637150000012345"}
    ]
    assert pingan["insured_parties"] == [0]
    assert pingan["insured_policies"] == [
        {"party": 0, "policy": "commercial", "policy_number": "PDAA202637150000054321"}
    ]
    assert cpic["insured_policies"] == [
        {"party": 1, "policy": "compulsory", "policy_number": "ASHZ202637150000067890"}
    ]
    # Nobody reads another insurer's policy.
    assert "PDAA202637150000054321" not in seen["picc"][1]
    assert "PDZA202637150000012345" not in seen["pingan"][1]
    assert "PDZA202637150000012345" not in seen["cpic"][1]

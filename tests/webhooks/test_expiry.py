"""A case some party never confirms expires by housekeeping, and the partners that were told
of its report are told of its end: the filing app and the parties' insurers, over real HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

from standardwebhooks import Webhook

from accident_online.cases.determination_rules import limits_from
from accident_online.determinations.confirmations import expire_unconfirmed
from accident_online.kit.time import utc_now
from accident_online.webhooks.worker import DeliveryWorker, WorkerSettings
from accident_online_testing.road import confirm_every_party


async def test_an_expired_case_reaches_the_app_and_the_insurers(
    client,
    database,
    session,
    settings,
    receiver,
    make_partner,
    admin_headers,
    app_headers,
    file_report,
) -> None:
    patched = await client.patch(
        "/v1/partners/app-lc", json={"webhook_url": f"{receiver.url}/app-lc"}, headers=admin_headers
    )
    assert patched.status_code == 200, patched.text
    rotated = await client.post("/v1/partners/app-lc/rotate-secret", headers=admin_headers)
    secrets = {"app-lc": rotated.json()["webhook_secret"]}
    for partner_id, code in (("picc", "PICC"), ("cpic", "CPIC")):
        made = await make_partner(
            partner_id,
            kind="insurer",
            webhook_url=f"{receiver.url}/{partner_id}",
            insurer_codes=[code],
        )
        secrets[partner_id] = made.webhook_secret
    case = (await file_report()).json()
    await confirm_every_party(client, case, app_headers, [0])
    expiry = limits_from(settings).confirmation_expiry

    early = await expire_unconfirmed(session, now=utc_now(), expiry=expiry)
    late = await expire_unconfirmed(
        session, now=utc_now() + expiry + timedelta(minutes=1), expiry=expiry
    )
    await session.commit()
    worker = DeliveryWorker(
        database,
        WorkerSettings(retry_schedule=[0.05], timeout_seconds=2, allow_private_targets=True),
    )
    while await worker.run_once():
        pass

    assert (early, late) == (0, 1)
    expired = {}
    for hook in receiver.received:
        partner_id = hook.path.rsplit("/", 1)[-1]
        Webhook(secrets[partner_id]).verify(hook.body, hook.headers)
        body = json.loads(hook.body)
        if body["type"] == "case.expired":
            expired[partner_id] = body["data"]
    assert set(expired) == {"app-lc", "picc", "cpic"}
    for data in expired.values():
        assert data["case_id"] == case["id"]
        assert (data["from"], data["to"], data["status"]) == (
            "awaiting_evidence",
            "expired",
            "expired",
        )
        assert data["missing_confirmations"] == [1]
    assert expired["picc"]["insured_parties"] != expired["cpic"]["insured_parties"]

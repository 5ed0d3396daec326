"""The whole road, end to end, once per resolution: report → decision → the parties'
answers → partner events → closed, with every partner receiving (over real HTTP on
127.0.0.1) and verifying its messages."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks import Webhook

from accident_online.webhooks.worker import DeliveryWorker, WorkerSettings

DECISION = {
    "liabilities": [{"party": 0, "grade": "primary"}, {"party": 1, "grade": "secondary"}],
    "facts": "甲车未按规定让行，与乙车发生刮擦，两车受损，无人受伤。",
    "legal_basis": "《道路交通安全法》第三十八条；《道路交通事故处理程序规定》第六十条",
}


def signed(secret: str, body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    payload = json.dumps(body, ensure_ascii=False)
    msg_id = f"evt_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    return payload.encode(), {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, payload),
    }


@pytest.mark.parametrize(
    "road", ["accepted_and_paid", "mediation_agreed", "mediation_failed_then_court"]
)
async def test_the_whole_road(
    road,
    client,
    database,
    receiver,
    make_partner,
    admin_headers,
    app_headers,
    queued_case,
    make_officer,
) -> None:
    secrets = {}
    patched = await client.patch(
        "/v1/partners/app-lc", json={"webhook_url": f"{receiver.url}/app-lc"}, headers=admin_headers
    )
    assert patched.status_code == 200, patched.text
    secrets["app-lc"] = None  # registered by the app_headers fixture; its secret is read below
    for partner_id, kind, codes in (
        ("picc", "insurer", ["PICC"]),
        ("cpic", "insurer", ["CPIC"]),
        ("mediation-lc", "mediation", []),
        ("court-lc", "court", []),
    ):
        fields: dict[str, Any] = {"webhook_url": f"{receiver.url}/{partner_id}"}
        if codes:
            fields["insurer_codes"] = codes
        secrets[partner_id] = (await make_partner(partner_id, kind=kind, **fields)).webhook_secret
    rotated = await client.post("/v1/partners/app-lc/rotate-secret", headers=admin_headers)
    secrets["app-lc"] = rotated.json()["webhook_secret"]

    async def send(partner_id: str, type_: str, **data: Any) -> None:
        body, headers = signed(
            secrets[partner_id],
            {
                "type": type_,
                "timestamp": datetime.now(UTC).isoformat(),
                "data": {"case_id": case["id"], **data},
            },
        )
        answer = await client.post(f"/v1/webhooks/{partner_id}", content=body, headers=headers)
        assert answer.status_code == 200, answer.text

    async def answer(party: int, accepts: bool, resolution: str) -> None:
        response = await client.post(
            f"/v1/cases/{case['id']}/responses",
            json={"party": party, "accepts": accepts, "resolution": resolution},
            headers=app_headers,
        )
        assert response.status_code == 200, response.text

    officer = await make_officer("officer.road")
    case = await queued_case()
    claimed = await client.post(f"/v1/cases/{case['id']}/claim", headers=officer.headers)
    decided = await client.post(
        f"/v1/cases/{case['id']}/decision",
        json=DECISION,
        headers=officer.with_version(claimed.json()["version"]),
    )
    assert decided.status_code == 200, decided.text

    if road == "accepted_and_paid":
        await answer(0, True, "insurer_claim")
        await answer(1, True, "insurer_claim")
        await send("picc", "claim.opened", party=1, claim_number="PICC-2026-1")
        await send("cpic", "claim.assessed", party=1, assessed_loss="5000.00")
        await send("picc", "claim.assessed", party=0, assessed_loss="3000.00")
        await send("picc", "claim.paid", party=1, amount="4100.00")
        await send("cpic", "claim.paid", party=0, amount="2000.00")
    elif road == "mediation_agreed":
        await answer(0, True, "insurer_claim")
        await answer(1, False, "mediation")
        await send("mediation-lc", "mediation.agreed")
    else:
        await answer(1, False, "mediation")
        await send("mediation-lc", "mediation.failed")
        await send("court-lc", "lawsuit.filed")
        await send("court-lc", "judgment.issued")

    record = (await client.get(f"/v1/cases/{case['id']}", headers=admin_headers)).json()
    assert record["status"] == "closed"

    worker = DeliveryWorker(
        database,
        WorkerSettings(retry_schedule=[0.05], timeout_seconds=2, allow_private_targets=True),
    )
    while await worker.run_once():
        pass

    received: dict[str, list[str]] = {}
    for hook in receiver.received:
        partner_id = hook.path.rsplit("/", 1)[-1]
        payload = Webhook(secrets[partner_id]).verify(hook.body, hook.headers)
        assert payload["data"]["case_id"] == case["id"]
        received.setdefault(partner_id, []).append(payload["type"])
    # Every message carries the case version it describes, so receivers can order them.
    versions = [json.loads(h.body)["data"]["case_version"] for h in receiver.received]
    assert all(isinstance(v, int) and v > 1 for v in versions)
    # The compensation settles (with the calculation: no amounts in the agreement or the
    # judgment, and nothing assessed there, so nothing is owed) before the case closes;
    # claim.requested goes to the paying insurers only (tests/disputes/test_road.py).
    settled = "case.compensation_settled"
    case_events = {
        "accepted_and_paid": ["case.reported", "case.decided", "case.accepted", settled],
        "mediation_agreed": ["case.reported", "case.decided", "case.disputed", settled],
        "mediation_failed_then_court": ["case.reported", "case.decided", "case.disputed", settled],
    }[road] + ["case.closed"]
    for partner_id in ("app-lc", "picc", "cpic"):
        case_types = [t for t in received[partner_id] if not t.startswith("claim.")]
        assert sorted(case_types) == sorted(case_events), (partner_id, received)
    if road == "accepted_and_paid":
        assert "mediation-lc" not in received
        assert "court-lc" not in received
    if road == "mediation_agreed":
        assert received["mediation-lc"] == ["case.mediation_requested"]
        assert "court-lc" not in received
    if road == "mediation_failed_then_court":
        assert received["mediation-lc"] == ["case.mediation_requested"]
        assert received["court-lc"] == ["case.litigation_requested"]

"""The whole road, end to end over HTTP, once per way the determination's life can go
(order 146; DOMAIN.md "The determination's life"): report → each party confirms → photos →
the officer → delivery → (review) → liability final → compensation chosen → partner events
→ closed, every partner receiving (over real HTTP on 127.0.0.1) and verifying its messages.

Review windows come from the settings: half a second on the roads where silence lets them
lapse, so that no test sleeps longer than a second.
"""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from standardwebhooks import Webhook

from accident_online.auth.service import principal_for_user
from accident_online.cases.determination_rules import limits_from
from accident_online.cases.dispute_payloads import DISPUTE_EVENTS
from accident_online.cases.webhook_payloads import OUTBOUND_EVENTS
from accident_online.decisions.tasks import run_deadlines
from accident_online.models.user import UserRole
from accident_online.webhooks.worker import DeliveryWorker, WorkerSettings
from accident_online_testing.road import confirm_every_party, deliver_to_every_party
from conftest import make_settings

DECISION = {
    "liabilities": [{"party": 0, "grade": "primary"}, {"party": 1, "grade": "secondary"}],
    "facts": "甲车未按规定让行，与乙车发生刮擦，两车受损，无人受伤。",
    "legal_basis": "《道路交通安全法》第三十八条；《道路交通事故处理程序规定》第六十条",
}
NEW_DECISION = {
    **DECISION,
    "liabilities": [{"party": 0, "grade": "equal"}, {"party": 1, "grade": "equal"}],
}
ROADS = ["agreement", "silence", "review_upheld", "review_revoked", "late_review"]
# Roads on which the parties stay silent past their review windows.
SHORT_WINDOWS = {"silence", "late_review"}
WINDOW_SECONDS = 0.5


def pdf_text(document: bytes) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


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


@pytest.fixture
def settings(request, tmp_path, database_url):  # type: ignore[no-untyped-def]
    road = request.node.callspec.params.get("road")
    if road in SHORT_WINDOWS:
        return make_settings(tmp_path, database_url, review_window_days=WINDOW_SECONDS / 86400)
    return make_settings(tmp_path, database_url)


@pytest.mark.parametrize("road", ROADS)
async def test_the_whole_road(
    road,
    client,
    database,
    settings,
    receiver,
    make_partner,
    make_user,
    auth_headers,
    admin_headers,
    app_headers,
    file_report,
    report_body,
    upload_evidence,
    make_officer,
) -> None:
    secrets: dict[str, str] = {}
    patched = await client.patch(
        "/v1/partners/app-lc", json={"webhook_url": f"{receiver.url}/app-lc"}, headers=admin_headers
    )
    assert patched.status_code == 200, patched.text
    for partner_id, kind, codes in (
        ("picc", "insurer", ["PICC"]),
        ("cpic", "insurer", ["CPIC"]),
        # 甲's commercial policy (third-party cover, 车损险) is with another insurer.
        ("pingan", "insurer", ["PINGAN"]),
        ("mediation-lc", "mediation", []),
        ("court-lc", "court", []),
    ):
        fields: dict[str, Any] = {"webhook_url": f"{receiver.url}/{partner_id}"}
        if codes:
            fields["insurer_codes"] = codes
        secrets[partner_id] = (await make_partner(partner_id, kind=kind, **fields)).webhook_secret
    rotated = await client.post("/v1/partners/app-lc/rotate-secret", headers=admin_headers)
    secrets["app-lc"] = rotated.json()["webhook_secret"]
    reviewer = auth_headers(
        principal_for_user(await make_user("reviewer.city", role=UserRole.reviewer, center_id=None))
    )
    officer = await make_officer("officer.road")

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

    async def choose(party: int, resolution: str) -> dict[str, Any]:
        response = await client.post(
            f"/v1/cases/{case['id']}/responses",
            json={"party": party, "resolution": resolution},
            headers=app_headers,
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def determine(decision: dict[str, Any]) -> dict[str, Any]:
        claimed = await client.post(f"/v1/cases/{case['id']}/claim", headers=officer.headers)
        assert claimed.status_code == 200, claimed.text
        decided = await client.post(
            f"/v1/cases/{case['id']}/decision",
            json=decision,
            headers=officer.with_version(claimed.json()["version"]),
        )
        assert decided.status_code == 200, decided.text
        return dict(decided.json())

    async def request_review(party: int = 1) -> Any:
        return await client.post(
            f"/v1/cases/{case['id']}/review-requests",
            json={"party": party, "reason": "乙方认为甲车已让行，责任划分有误。"},
            headers=app_headers,
        )

    async def decide_review(outcome: str) -> dict[str, Any]:
        queue = (await client.get("/v1/reviews", headers=reviewer)).json()["items"]
        assert [item["case"]["id"] for item in queue] == [case["id"]]
        assert queue[0]["overdue"] is False
        record = await client.get(f"/v1/cases/{case['id']}", headers=reviewer)
        decided = await client.post(
            f"/v1/cases/{case['id']}/review",
            json={"outcome": outcome, "reasons": "经复核，事实清楚，证据确实充分。"},
            headers={**reviewer, "If-Match": record.headers["etag"]},
        )
        assert decided.status_code == 200, decided.text
        return dict(decided.json())

    async def housekeeping() -> None:
        await run_deadlines(database, limits_from(settings))

    async def pay_both(to_1: str = "4100.00", to_0: str = "2700.00") -> None:
        """Both losses assessed: the claim lines are requested (claims/), each insurer pays
        its own, and each party receives what the decision makes it owed in all (the
        calculation's insurer lines, 甲's commercial policy with PINGAN included)."""
        await send("picc", "claim.assessed", party=0, assessed_loss="3000.00")
        await send("cpic", "claim.assessed", party=1, assessed_loss="5000.00")
        listed = await client.get("/v1/claims", params={"limit": 200}, headers=admin_headers)
        assert listed.status_code == 200, listed.text
        owed: dict[tuple[str, int], Decimal] = {}
        for claim in listed.json()["items"]:
            if claim["case_id"] == case["id"] and claim["status"] == "open":
                key = (claim["insurer"], claim["party"])
                owed[key] = owed.get(key, Decimal("0")) + Decimal(claim["amount"])
        received = {0: Decimal("0"), 1: Decimal("0")}
        for (insurer, party), amount in sorted(owed.items()):
            await send(insurer, "claim.paid", party=party, amount=f"{amount:.2f}")
            received[party] += amount
        assert received == {0: Decimal(to_0), 1: Decimal(to_1)}

    body = report_body(agreed_liability=DECISION["liabilities"]) if road == "agreement" else None
    case = (await file_report(body)).json()
    # Filed by one party: the other's confirmation is pending, and photos alone queue nothing.
    assert case["missing_confirmations"] == [0, 1]
    await confirm_every_party(client, case, app_headers, [0])
    for kind in ("overview_front", "overview_rear", "collision_point"):
        await upload_evidence(case["id"], kind)
    for party in (0, 1):
        uploaded = await upload_evidence(case["id"], "plate", party)
    assert uploaded.json()["status"] == "awaiting_evidence"
    assert uploaded.json()["missing_confirmations"] == [1]
    confirmed = await confirm_every_party(client, case, app_headers, [1])
    assert confirmed.json()["status"] == "queued"

    if road == "agreement":
        agreed = await determine(DECISION)
        assert agreed["status"] == "final"
        assert agreed["decision"]["document"] == "quick_handling_agreement"
        nothing = await request_review()
        assert (nothing.status_code, nothing.json()["code"]) == (409, "nothing-to-review")
        await deliver_to_every_party(client, case, app_headers, no_objection=False)
        await choose(0, "insurer_claim")
        assert (await choose(1, "insurer_claim"))["status"] == "accepted"
        await pay_both()
    elif road == "silence":
        assert (await determine(DECISION))["status"] == "decided"
        delivered = await deliver_to_every_party(client, case, app_headers, no_objection=False)
        assert delivered.json()["status"] == "decided"
        await housekeeping()  # the windows are still open
        assert (await client.get(f"/v1/cases/{case['id']}", headers=app_headers)).json()[
            "status"
        ] == "decided"
        await asyncio.sleep(WINDOW_SECONDS + 0.2)
        await housekeeping()
        await choose(0, "insurer_claim")
        assert (await choose(1, "insurer_claim"))["status"] == "accepted"
        await pay_both()
    elif road == "review_upheld":
        await determine(DECISION)
        await deliver_to_every_party(client, case, app_headers, no_objection=False)
        requested = await request_review()
        assert requested.status_code == 201, requested.text
        assert requested.json()["status"] == "review_requested"
        again = await request_review(party=0)
        assert (again.status_code, again.json()["code"]) == (409, "review-already-requested")
        early = await client.post(
            f"/v1/cases/{case['id']}/responses",
            json={"party": 0, "resolution": "insurer_claim"},
            headers=app_headers,
        )
        assert early.status_code == 409
        upheld = await decide_review("upheld")
        assert upheld["status"] == "final"
        assert upheld["review"]["outcome"] == "upheld"
        assert (await choose(1, "mediation"))["status"] == "in_mediation"
        await send("mediation-lc", "mediation.agreed")
    elif road == "review_revoked":
        first = await determine(DECISION)
        await deliver_to_every_party(client, case, app_headers, no_objection=False, parties=[1])
        assert (await request_review()).status_code == 201
        revoked = await decide_review("revoked")
        assert revoked["status"] == "queued"
        assert revoked["decision"] is None
        assert revoked["determination_due_at"] is not None
        assert [item["decision"] for item in revoked["revoked_decisions"]] == [first["decision"]]
        assert revoked["revoked_decisions"][0]["receipts"][0]["party"] == 1
        second = await determine(NEW_DECISION)
        assert second["status"] == "decided"
        # Once per accident: the new determination cannot be reviewed again.
        again = await request_review()
        assert (again.status_code, again.json()["code"]) == (409, "review-already-requested")
        final = await deliver_to_every_party(client, case, app_headers)
        assert final.json()["status"] == "final"
        old = await client.get(
            f"/v1/cases/{case['id']}/revoked-decisions/0/document", headers=app_headers
        )
        current = await client.get(f"/v1/cases/{case['id']}/decision/document", headers=app_headers)
        assert old.status_code == 200, old.text
        assert "经复核撤销" in pdf_text(old.content)
        assert "主要责任" in pdf_text(old.content)
        assert "经复核撤销" not in pdf_text(current.content)
        assert "同等责任" in pdf_text(current.content)
        # Each party's signature status, from the deliveries.
        assert pdf_text(current.content).count("已签名，当事人无异议") == 2
        await choose(0, "insurer_claim")
        assert (await choose(1, "insurer_claim"))["status"] == "accepted"
        # Equal liability now: each insurer pays what the new decision makes it owe.
        await pay_both(to_1="3500.00", to_0="2500.00")
    else:
        await determine(DECISION)
        await deliver_to_every_party(client, case, app_headers, no_objection=False)
        await asyncio.sleep(WINDOW_SECONDS + 0.2)
        late = await request_review()
        assert (late.status_code, late.json()["code"]) == (422, "review-window-closed")
        await housekeeping()
        assert (await choose(0, "litigation"))["status"] == "in_litigation"
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
        # What each partner receives is the body its schema in the OpenAPI document says.
        {**OUTBOUND_EVENTS, **DISPUTE_EVENTS}[payload["type"]].model_validate(payload)
        received.setdefault(partner_id, []).append(
            (payload["data"]["case_version"], payload["type"])
        )
    versions = [json.loads(h.body)["data"]["case_version"] for h in receiver.received]
    assert all(isinstance(v, int) and v > 1 for v in versions)
    # Sent concurrently, they may arrive in any order; case_version puts them in the case's.
    # The claim lines (claim.requested, to the paying insurers only) are
    # tests/disputes/test_road.py's subject; here only the case's own events.
    in_order = {
        partner: [t for _, t in sorted(hooks) if not t.startswith("claim.")]
        for partner, hooks in received.items()
    }
    start = ["case.reported", "case.confirmed", "case.confirmed"]
    case_events = (
        start
        + {
            "agreement": ["case.decision_final", "case.accepted", "case.closed"],
            "silence": ["case.decided", "case.decision_final", "case.accepted", "case.closed"],
            "review_upheld": [
                "case.decided",
                "case.review_requested",
                "case.review_decided",
                "case.decision_final",
                "case.disputed",
                "case.closed",
            ],
            "review_revoked": [
                "case.decided",
                "case.review_requested",
                "case.review_decided",
                "case.decision_revoked",
                "case.decided",
                "case.decision_final",
                "case.accepted",
                "case.closed",
            ],
            "late_review": ["case.decided", "case.decision_final", "case.disputed", "case.closed"],
        }[road]
    )
    # The compensation settles (the calculation's lines, or, with no amounts in the
    # agreement or the judgment, nothing owed) just before the case closes.
    case_events.insert(-1, "case.compensation_settled")
    for partner_id in ("app-lc", "picc", "cpic", "pingan"):
        assert in_order[partner_id] == case_events, (partner_id, in_order)
    finals = [
        json.loads(h.body)["data"]["reason"]
        for h in receiver.received
        if h.path.endswith("/app-lc") and json.loads(h.body)["type"] == "case.decision_final"
    ]
    assert finals == [
        {
            "agreement": "agreement_confirmed",
            "silence": "windows_lapsed",
            "review_upheld": "review_upheld",
            "review_revoked": "no_objection",
            "late_review": "windows_lapsed",
        }[road]
    ]
    assert in_order.get("mediation-lc", []) == (
        ["case.mediation_requested"] if road == "review_upheld" else []
    )
    assert in_order.get("court-lc", []) == (
        ["case.litigation_requested"] if road == "late_review" else []
    )

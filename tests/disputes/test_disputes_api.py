"""Appraisals, arbitration and judicial confirmation through the API: the refusals, and the
ways back to court; 互碰自赔 by every party's consent."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from standardwebhooks import Webhook

from accident_online_testing.road import deliver_to_every_party

DECISION = {
    "liabilities": [{"party": 0, "grade": "primary"}, {"party": 1, "grade": "secondary"}],
    "facts": "甲车未按规定让行，与乙车发生刮擦，两车受损，无人受伤。",
    "legal_basis": "《道路交通安全法》第三十八条；《道路交通事故处理程序规定》第六十条",
}


@pytest.fixture
async def world(client, make_partner, make_officer, queued_case, admin_headers, app_headers):  # type: ignore[no-untyped-def]
    secrets: dict[str, str] = {}
    for partner_id, kind, codes in (
        ("picc", "insurer", ["PICC"]),
        ("cpic", "insurer", ["CPIC"]),
        ("mediation-lc", "mediation", []),
        ("court-lc", "court", []),
        ("appraisal-lc", "appraisal", []),
        ("arbitration-lc", "arbitration", []),
        ("other-mediation", "mediation", []),
    ):
        fields: dict[str, Any] = {"insurer_codes": codes} if codes else {}
        secrets[partner_id] = (await make_partner(partner_id, kind=kind, **fields)).webhook_secret
    officer = await make_officer(f"officer.{uuid.uuid4().hex[:6]}")

    async def decided() -> dict[str, Any]:
        case = await queued_case()
        claimed = await client.post(f"/v1/cases/{case['id']}/claim", headers=officer.headers)
        made = await client.post(
            f"/v1/cases/{case['id']}/decision",
            json=DECISION,
            headers=officer.with_version(claimed.json()["version"]),
        )
        assert made.status_code == 200, made.text
        return made.json()

    async def final() -> dict[str, Any]:
        """Determined, delivered, and every party stating no objection: liability is final
        and the parties choose how compensation is settled."""
        case = await decided()
        await deliver_to_every_party(client, case, app_headers)
        return case

    async def send(partner_id: str, case_id: str, type_: str, **data: Any) -> Any:
        payload = json.dumps(
            {
                "type": type_,
                "timestamp": datetime.now(UTC).isoformat(),
                "data": {"case_id": case_id, **data},
            },
            ensure_ascii=False,
        )
        msg_id, now = f"evt_{uuid.uuid4().hex}", datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secrets[partner_id]).sign(msg_id, now, payload),
        }
        return await client.post(f"/v1/webhooks/{partner_id}", content=payload, headers=headers)

    async def answer(case_id: str, party: int, resolution: str, **extra: Any) -> Any:
        return await client.post(
            f"/v1/cases/{case_id}/responses",
            json={"party": party, "resolution": resolution, **extra},
            headers=app_headers,
        )

    async def read(case_id: str) -> dict[str, Any]:
        return (await client.get(f"/v1/cases/{case_id}", headers=admin_headers)).json()

    return {"decided": decided, "final": final, "send": send, "answer": answer, "read": read}


async def test_the_app_needs_every_partys_consent_and_a_real_appraiser(
    client, world, app_headers
) -> None:
    case = await world["final"]()
    await world["answer"](case["id"], 0, "insurer_claim")
    await world["answer"](case["id"], 1, "insurer_claim")
    body = {"vehicles": [1], "question": "乙车维修费用", "appraiser": "appraisal-lc"}
    path = f"/v1/cases/{case['id']}/appraisals"

    one_party = await client.post(
        path, json={**body, "consenting_parties": [1]}, headers=app_headers
    )
    insurer = await client.post(
        path, json={**body, "consenting_parties": [0, 1], "appraiser": "picc"}, headers=app_headers
    )
    no_vehicle = await client.post(
        path, json={**body, "consenting_parties": [0, 1], "vehicles": [5]}, headers=app_headers
    )
    asked = await client.post(
        path, json={**body, "consenting_parties": [0, 1]}, headers=app_headers
    )

    assert one_party.status_code == 422
    assert one_party.json()["code"] == "appraisal-consent-missing"
    assert insurer.json()["code"] == "not-an-appraiser"
    assert no_vehicle.status_code == 422
    assert no_vehicle.json()["errors"][0]["loc"] == ["body", "vehicles", 0]
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "requested"


async def test_an_objection_comes_within_the_window_once(
    client, world, app_headers, session
) -> None:
    case = await world["final"]()
    await world["answer"](case["id"], 1, "mediation")
    asked = await client.post(
        f"/v1/cases/{case['id']}/appraisals",
        json={
            "vehicles": [1],
            "question": "乙车维修费用",
            "consenting_parties": [0, 1],
            "appraiser": "appraisal-lc",
        },
        headers=app_headers,
    )
    appraisal = asked.json()["id"]
    objections = f"/v1/cases/{case['id']}/appraisals/{appraisal}/objections"
    objection = {"party": 0, "reason": "鉴定结论偏高"}

    too_early = await client.post(objections, json=objection, headers=app_headers)
    wrong_appraiser = await world["send"](
        "picc", case["id"], "appraisal.accepted", appraisal_id=appraisal
    )
    done = await world["send"](
        "appraisal-lc",
        case["id"],
        "appraisal.completed",
        appraisal_id=appraisal,
        party=1,
        assessed_loss="6200.00",
        report_number="聊鉴〔2026〕9号",
    )
    first = await client.post(objections, json=objection, headers=app_headers)
    again = await client.post(objections, json=objection, headers=app_headers)
    await (await session.connection()).execute(
        text("UPDATE appraisals SET objection_deadline = :past WHERE id = :id").bindparams(
            past=datetime.now(UTC) - timedelta(minutes=1), id=uuid.UUID(appraisal)
        )
    )
    await session.commit()
    late = await client.post(objections, json={"party": 1, "reason": "偏低"}, headers=app_headers)

    assert too_early.status_code == 409
    assert too_early.json()["code"] == "appraisal-not-completed"
    assert wrong_appraiser.status_code == 422  # an insurer sends no appraisal events
    assert done.status_code == 200, done.text
    assert first.status_code == 201, first.text
    assert asked.headers["Location"] == first.headers["Location"]
    located = await client.get(first.headers["Location"], headers=app_headers)
    assert [a["id"] for a in located.json() if a["objections"]] == [appraisal]
    assert again.json()["code"] == "already-objected"
    assert late.status_code == 422
    assert late.json()["code"] == "objection-window-closed"
    assert (await world["read"](case["id"]))["parties"][1]["assessed_loss"] == "6200.00"


async def test_a_refused_confirmation_withdraws_the_claims_and_goes_to_court(
    client, world, app_headers, admin_headers
) -> None:
    case = await world["final"]()
    await world["answer"](case["id"], 1, "mediation")
    no_agreement = await client.post(
        f"/v1/cases/{case['id']}/confirmation-requests", headers=app_headers
    )
    agreed = await world["send"](
        "mediation-lc",
        case["id"],
        "mediation.agreed",
        amounts=[{"party": 1, "payer_party": 0, "amount": "2000.00"}],
    )
    bad_party = await world["send"]("court-lc", case["id"], "confirmation.granted")
    asked = await client.post(f"/v1/cases/{case['id']}/confirmation-requests", headers=app_headers)
    twice = await client.post(f"/v1/cases/{case['id']}/confirmation-requests", headers=app_headers)
    refused = await world["send"]("court-lc", case["id"], "confirmation.refused", reason="显失公平")
    record = await world["read"](case["id"])
    claims = (await client.get("/v1/claims", headers=admin_headers)).json()["items"]

    assert no_agreement.json()["code"] == "no-agreement-to-confirm"
    assert agreed.status_code == 200, agreed.text
    # The court had not been asked yet: the case is not the court's.
    assert bad_party.status_code == 404
    assert asked.status_code == 201, asked.text
    assert twice.status_code == 409
    assert refused.status_code == 200, refused.text
    assert (record["status"], record["resolution"]) == ("in_litigation", "litigation")
    mine = [c for c in claims if c["case_id"] == case["id"]]
    assert [(c["status"], c["amount"]) for c in mine] == [("withdrawn", "2000.00")]


async def test_a_rejected_arbitration_goes_to_court_and_agreements_come_first(
    client, world, app_headers
) -> None:
    # One agreement signed while the determination runs its course, the other once final.
    case = await world["decided"]()
    while_decided = await client.post(
        f"/v1/cases/{case['id']}/arbitration-agreements",
        json={"party": 0, "signed_at": "2026-12-01T09:00:00+08:00"},
        headers=app_headers,
    )
    await deliver_to_every_party(client, case, app_headers)
    once_final = await client.post(
        f"/v1/cases/{case['id']}/arbitration-agreements",
        json={"party": 1, "signed_at": "2026-12-01T09:00:00+08:00"},
        headers=app_headers,
    )
    twice = await client.post(
        f"/v1/cases/{case['id']}/arbitration-agreements",
        json={"party": 0, "signed_at": "2026-12-01T09:00:00+08:00"},
        headers=app_headers,
    )
    future = await client.post(
        f"/v1/cases/{case['id']}/arbitration-agreements",
        json={"party": 1, "signed_at": "2099-01-01T00:00:00+08:00"},
        headers=app_headers,
    )
    answered = await world["answer"](case["id"], 1, "arbitration")
    after = await client.post(
        f"/v1/cases/{case['id']}/arbitration-agreements",
        json={"party": 1, "signed_at": "2026-12-01T09:00:00+08:00"},
        headers=app_headers,
    )
    by_mediation = await world["send"]("mediation-lc", case["id"], "mediation.agreed")
    rejected = await world["send"](
        "arbitration-lc", case["id"], "arbitration.rejected", reason="不属于本会受理范围"
    )
    record = await world["read"](case["id"])

    assert while_decided.status_code == 201, while_decided.text
    assert once_final.status_code == 201, once_final.text
    assert twice.json()["code"] == "arbitration-agreement-recorded"
    assert future.status_code == 422
    assert answered.status_code == 200, answered.text
    assert after.json()["code"] == "not-awaiting-resolution"
    assert by_mediation.status_code == 404
    assert rejected.status_code == 200, rejected.text
    assert (record["status"], record["resolution"]) == ("in_litigation", "litigation")


async def test_a_payment_is_at_most_what_is_open_and_claims_page(
    client, world, admin_headers, auth_headers
) -> None:
    case = await world["final"]()
    await world["answer"](case["id"], 1, "litigation")
    judged = await world["send"](
        "court-lc",
        case["id"],
        "judgment.issued",
        amounts=[
            {"party": 1, "payer_party": 0, "amount": "1000.00"},
            {"party": 1, "payer_party": 0, "amount": "500.00"},
            {"party": 0, "payer_party": 1, "amount": "300.00"},
        ],
    )
    bad = await world["send"](
        "court-lc",
        case["id"],
        "judgment.issued",
        amounts=[{"party": 7, "payer_party": 0, "amount": "1.00"}],
    )
    over = await world["send"]("picc", case["id"], "claim.paid", party=1, amount="1500.01")
    partly = await world["send"]("picc", case["id"], "claim.paid", party=1, amount="1200.00")
    first = await client.get("/v1/claims", params={"limit": 2}, headers=admin_headers)
    second = await client.get(
        "/v1/claims",
        params={"limit": 2, "cursor": first.json()["next_cursor"]},
        headers=admin_headers,
    )
    bad_cursor = await client.get("/v1/claims", params={"cursor": "zz"}, headers=admin_headers)

    assert judged.status_code == 200, judged.text
    assert bad.status_code == 409  # the case is awaiting payment now
    assert over.status_code == 422
    assert over.json()["code"] == "claim-overpaid"
    assert partly.status_code == 200, partly.text
    items = first.json()["items"] + second.json()["items"]
    assert second.json()["next_cursor"] is None
    mine = sorted(
        (c["insurer"], c["amount"], c["paid_amount"], c["status"])
        for c in items
        if c["case_id"] == case["id"]
    )
    assert mine == [
        ("cpic", "300.00", "0.00", "open"),
        ("picc", "1000.00", "700.00", "open"),
        ("picc", "500.00", "500.00", "paid"),
    ]
    assert bad_cursor.status_code == 400
    assert (await world["read"](case["id"]))["status"] == "awaiting_payment"


async def test_agreed_amounts_name_parties_of_the_case(world) -> None:
    case = await world["final"]()
    await world["answer"](case["id"], 1, "mediation")
    bad = await world["send"](
        "mediation-lc",
        case["id"],
        "mediation.agreed",
        amounts=[{"party": 1, "payer_party": 4, "amount": "1.00"}],
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["body", "data", "amounts", 0, "payer_party"]
    assert (await world["read"](case["id"]))["status"] == "in_mediation"


# Both parties liable (primary/secondary): 互碰自赔 qualifies when each loss is at most
# 2,000 yuan, and applies only when both consented with their insurer_claim responses (a
# party's insurer_claim sent again gives or withdraws its consent).
KNOCK_FOR_KNOCK_CASES = {
    "both consent": (
        [(0, True), (1, True)],
        ("1500.00", "1800.00"),
        "knock_for_knock",
        # Each insurer pays its own insured's loss: (insurer, payer party, payee, amount).
        [("cpic", 1, 1, "1800.00"), ("picc", 0, 0, "1500.00")],
    ),
    "one does not": (
        [(0, True), (1, False)],
        ("1500.00", "1800.00"),
        "standard",
        [("cpic", 1, 0, "1500.00"), ("picc", 0, 1, "1800.00")],
    ),
    "a loss over 2,000": (
        [(0, True), (1, True)],
        ("1500.00", "2000.01"),
        "standard",
        [("cpic", 1, 0, "1500.00"), ("picc", 0, 1, "2000.00")],
    ),
    "consent given later": (
        [(0, False), (1, True), (0, True)],
        ("1500.00", "1800.00"),
        "knock_for_knock",
        [("cpic", 1, 1, "1800.00"), ("picc", 0, 0, "1500.00")],
    ),
    "consent withdrawn once accepted": (
        [(0, True), (1, True), (1, False)],
        ("1500.00", "1800.00"),
        "standard",
        [("cpic", 1, 0, "1500.00"), ("picc", 0, 1, "1800.00")],
    ),
}


@pytest.mark.parametrize(
    ("answers", "losses", "method", "claims"),
    list(KNOCK_FOR_KNOCK_CASES.values()),
    ids=list(KNOCK_FOR_KNOCK_CASES),
)
async def test_knock_for_knock_only_when_every_party_consents(
    client, world, admin_headers, app_headers, answers, losses, method, claims
) -> None:
    case = await world["final"]()
    for party, consent in answers:
        answered = await world["answer"](
            case["id"], party, "insurer_claim", knock_for_knock_consent=consent
        )
        assert answered.status_code == 200, answered.text
    for partner_id, party, loss in zip(("picc", "cpic"), (0, 1), losses, strict=True):
        assessed = await world["send"](
            partner_id, case["id"], "claim.assessed", party=party, assessed_loss=loss
        )
        assert assessed.status_code == 200, assessed.text
    settlement = await client.get(f"/v1/cases/{case['id']}/settlement", headers=app_headers)
    listed = (await client.get("/v1/claims", params={"limit": 200}, headers=admin_headers)).json()
    # The insurers were asked to pay: the consent stands as it was.
    party, consent = answers[-1]
    too_late = await world["answer"](
        case["id"], party, "insurer_claim", knock_for_knock_consent=not consent
    )
    events = (
        await client.get(f"/v1/cases/{case['id']}/events?limit=200", headers=admin_headers)
    ).json()["items"]
    record = await world["read"](case["id"])

    assert settlement.status_code == 200, settlement.text
    assert settlement.json()["complete"] is True
    assert settlement.json()["settlement"]["method"] == method
    mine = [c for c in listed["items"] if c["case_id"] == case["id"]]
    requested = sorted(
        (c["insurer"], c["payer_party"], c["party"], c["amount"])
        for c in mine
        if c["rule"] in {"compulsory", "own_damage_knock_for_knock"}
    )
    assert requested == claims
    if method == "knock_for_knock":
        assert {c["rule"] for c in mine} == {"own_damage_knock_for_knock"}
    assert too_late.status_code == 409
    assert too_late.json()["code"] == "knock-for-knock-consent-closed"
    final_consents = dict(answers)
    assert [r["knock_for_knock_consent"] for r in record["responses"]] == [
        final_consents[0],
        final_consents[1],
    ]
    assert [
        (e["data"]["party"], e["data"]["knock_for_knock_consent"])
        for e in events
        if e["type"] == "case.response"
    ] == answers


@pytest.mark.parametrize("resolution", ["mediation", "litigation"])
async def test_consent_to_knock_for_knock_goes_with_an_insurer_claim_only(
    world, admin_headers, client, resolution
) -> None:
    case = await world["final"]()

    refused = await world["answer"](case["id"], 1, resolution, knock_for_knock_consent=True)
    not_a_flag = await world["answer"](
        case["id"], 1, "insurer_claim", knock_for_knock_consent="yes"
    )
    record = await world["read"](case["id"])
    events = (
        await client.get(f"/v1/cases/{case['id']}/events?limit=200", headers=admin_headers)
    ).json()["items"]

    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["loc"] == ["body", "knock_for_knock_consent"]
    assert resolution in refused.json()["detail"]
    assert not_a_flag.status_code == 422
    assert (record["status"], record["responses"]) == ("final", [])
    assert [e for e in events if e["type"] == "case.response"] == []

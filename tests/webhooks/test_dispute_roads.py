"""Compensation disputes, the whole road, over real HTTP: report → decision → delivery
(liability final) → the way the
compensation is settled (calculation, appraisal + mediation + 司法确认, arbitration, the
court after 诉前调解) → claim lines → claim.paid → closed, with every partner (app,
insurers, mediation, appraisal, arbitration, court) receiving its messages on 127.0.0.1
and verifying their signatures."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from standardwebhooks import Webhook

from accident_online.claims.service import announce_overdue_claims
from accident_online.kit.time import utc_now
from accident_online.webhooks.worker import DeliveryWorker, WorkerSettings
from accident_online_testing.road import deliver_to_every_party

DECISION = {
    "liabilities": [{"party": 0, "grade": "primary"}, {"party": 1, "grade": "secondary"}],
    "facts": "甲车未按规定让行，与乙车发生刮擦，两车受损，无人受伤。",
    "legal_basis": "《道路交通安全法》第三十八条；《道路交通事故处理程序规定》第六十条",
}
PARTNERS = (
    ("picc", "insurer", ["PICC"]),
    ("cpic", "insurer", ["CPIC"]),
    # 甲's commercial policy (the example report): it pays above the 交强险 limit.
    ("pingan", "insurer", ["PINGAN"]),
    ("mediation-lc", "mediation", []),
    ("court-lc", "court", []),
    ("appraisal-lc", "appraisal", []),
    ("arbitration-lc", "arbitration", []),
)


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


class Road:
    def __init__(self, client: Any, admin_headers: dict[str, str], app_headers: dict[str, str]):
        self.client = client
        self.admin = admin_headers
        self.app = app_headers
        self.secrets: dict[str, str] = {}
        self.credentials: dict[str, tuple[str, str]] = {}
        self.case: dict[str, Any] = {}

    async def send(self, partner_id: str, type_: str, expect: int = 200, **data: Any) -> Any:
        body, headers = signed(
            self.secrets[partner_id],
            {
                "type": type_,
                "timestamp": datetime.now(UTC).isoformat(),
                "data": {"case_id": self.case["id"], **data},
            },
        )
        answer = await self.client.post(f"/v1/webhooks/{partner_id}", content=body, headers=headers)
        assert answer.status_code == expect, (type_, answer.text)
        return answer.json()

    async def answer(self, party: int, resolution: str) -> None:
        response = await self.client.post(
            f"/v1/cases/{self.case['id']}/responses",
            json={"party": party, "resolution": resolution},
            headers=self.app,
        )
        assert response.status_code == 200, response.text

    async def record(self) -> dict[str, Any]:
        return (await self.client.get(f"/v1/cases/{self.case['id']}", headers=self.admin)).json()

    async def claims(self, headers: dict[str, str] | None = None, **query: str) -> list[dict]:
        answer = await self.client.get("/v1/claims", params=query, headers=headers or self.admin)
        assert answer.status_code == 200, answer.text
        return [c for c in answer.json()["items"] if c["case_id"] == self.case["id"]]

    async def pay_all(self, skip: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        owed: dict[tuple[str, int], Decimal] = {}
        for claim in await self.claims():
            if claim["status"] == "open" and claim["id"] not in skip:
                key = (claim["insurer"], claim["party"])
                owed[key] = owed.get(key, Decimal("0")) + Decimal(claim["amount"])
        for (insurer, party), amount in sorted(owed.items()):
            await self.send(insurer, "claim.paid", party=party, amount=f"{amount:.2f}")

    async def token(self, partner_id: str) -> dict[str, str]:
        client_id, secret = self.credentials[partner_id]
        answer = await self.client.post(
            "/v1/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.mark.parametrize("road", ["calculation", "appraisal_mediation", "arbitration", "court"])
async def test_every_settling_road_ends_in_paid_claims(
    road,
    client,
    database,
    session,
    receiver,
    make_partner,
    admin_headers,
    app_headers,
    queued_case,
    make_officer,
) -> None:
    r = Road(client, admin_headers, app_headers)
    await client.patch(
        "/v1/partners/app-lc", json={"webhook_url": f"{receiver.url}/app-lc"}, headers=admin_headers
    )
    for partner_id, kind, codes in PARTNERS:
        fields: dict[str, Any] = {"webhook_url": f"{receiver.url}/{partner_id}"}
        if codes:
            fields["insurer_codes"] = codes
        created = await make_partner(partner_id, kind=kind, **fields)
        r.secrets[partner_id] = created.webhook_secret
        r.credentials[partner_id] = (created.client_id, created.client_secret)
    rotated = await client.post("/v1/partners/app-lc/rotate-secret", headers=admin_headers)
    r.secrets["app-lc"] = rotated.json()["webhook_secret"]

    officer = await make_officer(f"officer.{road}")
    r.case = await queued_case()
    claimed = await client.post(f"/v1/cases/{r.case['id']}/claim", headers=officer.headers)
    decided = await client.post(
        f"/v1/cases/{r.case['id']}/decision",
        json=DECISION,
        headers=officer.with_version(claimed.json()["version"]),
    )
    assert decided.status_code == 200, decided.text
    # Delivered, every party stating no objection: liability is final (order 146 art. 71).
    final = await deliver_to_every_party(client, r.case, app_headers)
    assert final.json()["status"] == "final"
    case_id = r.case["id"]

    if road == "calculation":
        # Every loss assessed before the parties choose: the last insurer_claim requests
        # the claims at once (disputes.stage), no housekeeping pass needed.
        await r.send("picc", "claim.assessed", party=0, assessed_loss="3000.00")
        await r.send("cpic", "claim.assessed", party=1, assessed_loss="5000.00")
        assert await r.claims() == []
        await r.answer(0, "insurer_claim")
        await r.answer(1, "insurer_claim")
        settlement = (
            await client.get(f"/v1/cases/{case_id}/settlement", headers=admin_headers)
        ).json()["settlement"]
        insurer_lines = [
            line
            for line in settlement["lines"]
            if line["payer"].startswith("insurer:") and Decimal(line["amount"]) > 0
        ]
        claims = await r.claims()
        assert sorted((c["insurer_code"], c["party"], c["amount"]) for c in claims) == sorted(
            (line["payer"].removeprefix("insurer:"), line["payee_party"], line["amount"])
            for line in insurer_lines
        )
        assert {c["basis"] for c in claims} == {"calculation"}
        assert (await r.record())["status"] == "accepted"
        await r.pay_all()

    elif road == "appraisal_mediation":
        await r.answer(0, "insurer_claim")
        await r.answer(1, "mediation")
        await r.send("picc", "claim.assessed", party=0, assessed_loss="3000.00")
        await r.send("cpic", "claim.assessed", party=1, assessed_loss="5000.00")
        mediator = await r.token("mediation-lc")
        asked = await client.post(
            f"/v1/cases/{case_id}/appraisals",
            json={
                "vehicles": [1],
                "question": "乙车右前翼子板及大灯的维修费用",
                "consenting_parties": [1],
                "appraiser": "appraisal-lc",
                "repair_quotes": [{"party": 1, "amount": "6500.00", "shop": "聊城某4S店"}],
            },
            headers=mediator,
        )
        assert asked.status_code == 201, asked.text
        appraisal_id = asked.json()["id"]
        appraiser = await r.token("appraisal-lc")
        seen = await client.get(f"/v1/cases/{case_id}/appraisals", headers=appraiser)
        assert seen.status_code == 200, seen.text
        await r.send("appraisal-lc", "appraisal.accepted", appraisal_id=appraisal_id)
        await r.send(
            "appraisal-lc",
            "appraisal.completed",
            appraisal_id=appraisal_id,
            party=1,
            assessed_loss="6200.00",
            report_number="聊鉴字〔2026〕第118号",
            report_url="https://appraisal.example/reports/118.pdf",
        )
        settlement = (
            await client.get(f"/v1/cases/{case_id}/settlement", headers=admin_headers)
        ).json()["settlement"]
        assert [p["loss"] for p in settlement["parties"]] == ["3000.00", "6200.00"]
        # The insurer's figure no longer replaces the appraised one.
        await r.send("cpic", "claim.assessed", expect=409, party=1, assessed_loss="5100.00")
        objected = await client.post(
            f"/v1/cases/{case_id}/appraisals/{appraisal_id}/objections",
            json={"party": 0, "reason": "鉴定未考虑旧件残值"},
            headers=app_headers,
        )
        assert objected.status_code == 201, objected.text
        listed = (await client.get(f"/v1/cases/{case_id}/appraisals", headers=mediator)).json()
        assert listed[0]["status"] == "completed"
        assert listed[0]["results"][0]["assessed_loss"] == "6200.00"
        assert [o["party"] for o in listed[0]["objections"]] == [0]
        await r.send(
            "mediation-lc",
            "mediation.agreed",
            agreement="甲方保险公司赔偿乙方 4800 元，乙方保险公司赔偿甲方 900 元。",
            amounts=[
                {"party": 1, "payer_party": 0, "amount": "4800.00"},
                {"party": 0, "payer_party": 1, "amount": "900.00"},
            ],
        )
        assert (await r.record())["status"] == "awaiting_payment"
        claims = await r.claims()
        assert sorted((c["insurer"], c["party"], c["amount"]) for c in claims) == [
            ("cpic", 0, "900.00"),
            ("picc", 1, "4800.00"),
        ]
        confirmation = await client.post(
            f"/v1/cases/{case_id}/confirmation-requests", headers=mediator
        )
        assert confirmation.status_code == 201, confirmation.text
        assert confirmation.json()["confirmation"] == "requested"
        court = await r.token("court-lc")
        assert (await client.get(f"/v1/cases/{case_id}", headers=court)).status_code == 200
        await r.send("court-lc", "confirmation.granted", docket_number="(2026)鲁1502民特88号")
        await r.pay_all()

    elif road == "arbitration":
        refused = await client.post(
            f"/v1/cases/{case_id}/responses",
            json={"party": 1, "resolution": "arbitration"},
            headers=app_headers,
        )
        assert refused.status_code == 422
        assert refused.json()["code"] == "arbitration-agreement-missing"
        for party in (0, 1):
            agreed = await client.post(
                f"/v1/cases/{case_id}/arbitration-agreements",
                json={"party": party, "signed_at": "2026-12-01T10:00:00+08:00"},
                headers=app_headers,
            )
            assert agreed.status_code == 201, agreed.text
        to_court = await client.post(
            f"/v1/cases/{case_id}/responses",
            json={"party": 0, "resolution": "litigation"},
            headers=app_headers,
        )
        assert to_court.json()["code"] == "arbitration-excludes-court"
        await r.answer(1, "arbitration")
        record = await r.record()
        assert (record["status"], record["resolution"]) == ("in_arbitration", "arbitration")
        arbitrator = await r.token("arbitration-lc")
        assert (await client.get(f"/v1/cases/{case_id}", headers=arbitrator)).status_code == 200
        await r.send("arbitration-lc", "arbitration.accepted", docket_number="聊仲字〔2026〕7号")
        await r.send(
            "arbitration-lc",
            "arbitration.awarded",
            award_number="聊仲裁字〔2026〕7号",
            amounts=[{"party": 1, "payer_party": 0, "amount": "3500.00"}],
        )
        assert [c["basis"] for c in await r.claims()] == ["arbitration_award"]
        await r.pay_all()

    else:
        await r.answer(1, "litigation")
        await r.send(
            "court-lc", "prefiling_mediation.started", docket_number="(2026)鲁1502诉前调12号"
        )
        early = await r.send("court-lc", "lawsuit.filed", expect=409)
        assert early["code"] == "prefiling-mediation-running"
        await r.send("court-lc", "prefiling_mediation.failed", reason="双方未达成一致")
        await r.send("court-lc", "lawsuit.filed", docket_number="(2026)鲁1502民初1234号")
        await r.send(
            "court-lc",
            "judgment.issued",
            docket_number="(2026)鲁1502民初1234号",
            amounts=[
                {"party": 1, "payer_party": 0, "amount": "4100.00"},
                {"party": 0, "payer_party": 1, "amount": "600.00"},
            ],
        )
        claims = await r.claims()
        picc_line = next(c for c in claims if c["insurer"] == "picc")
        await r.pay_all(skip={picc_line["id"]})
        assert (await r.record())["status"] == "awaiting_payment"
        # Ten days (《保险法》第二十三条, claim_payment_days) to pay: nothing is overdue yet.
        for claim in claims:
            due = datetime.fromisoformat(claim["due_at"]) - datetime.fromisoformat(
                claim["requested_at"]
            )
            assert due == timedelta(days=10)
        assert await announce_overdue_claims(session, now=utc_now()) == 0
        assert await r.claims(overdue="true") == []
        court = await r.token("court-lc")
        # Ten days later: PICC has not paid.
        await (await session.connection()).execute(
            text("UPDATE claim_lines SET due_at = :past WHERE id = :id").bindparams(
                past=utc_now() - timedelta(minutes=1), id=uuid.UUID(picc_line["id"])
            )
        )
        await session.commit()
        assert await announce_overdue_claims(session, now=utc_now()) == 1
        await session.commit()
        assert await announce_overdue_claims(session, now=utc_now()) == 0
        overdue = await r.claims(court, overdue="true")
        assert [(c["insurer"], c["amount"], c["overdue"]) for c in overdue] == [
            ("picc", "4100.00", True)
        ]
        stats = (await client.get("/v1/stats", headers=admin_headers)).json()
        assert stats["compensation"]["overdue_claims_per_insurer"] == {"PICC": 1}
        metrics = (await client.get("/metrics")).text
        assert 'accident_online_claims_overdue{insurer="PICC"} 1.0' in metrics
        await r.pay_all()
        assert await r.claims(court, overdue="true") == []

    record = await r.record()
    assert record["status"] == "closed", record
    compensation = (await client.get("/v1/stats", headers=admin_headers)).json()["compensation"]
    path, by_court = {
        "calculation": ("insurer_claim", False),
        "appraisal_mediation": ("mediation", True),  # 司法确认
        "arbitration": ("arbitration", False),
        "court": ("litigation", True),
    }[road]
    assert compensation["cases_per_resolution"] == {path: 1}
    assert compensation["settled"] == 1
    assert compensation["share_settled_without_court"] == (0.0 if by_court else 1.0)
    assert compensation["minutes_to_last_payment_median"] is not None
    assert compensation["minutes_to_last_payment_p90"] >= 0
    assert compensation["overdue_claims_per_insurer"] == {}
    events = (await client.get(f"/v1/cases/{case_id}/events", headers=admin_headers)).json()
    assert events["items"][-1]["data"]["reason"] == "claims_paid"

    worker = DeliveryWorker(
        database,
        WorkerSettings(retry_schedule=[0.05], timeout_seconds=2, allow_private_targets=True),
    )
    while await worker.run_once():
        pass
    received: dict[str, list[str]] = {}
    for hook in receiver.received:
        partner_id = hook.path.rsplit("/", 1)[-1]
        payload = Webhook(r.secrets[partner_id]).verify(hook.body, hook.headers)
        assert payload["data"]["case_id"] == case_id
        received.setdefault(partner_id, []).append(payload["type"])
    for insurer in ("picc", "cpic"):
        # The award has only PICC pay.
        paying = road != "arbitration" or insurer == "picc"
        assert ("claim.requested" in received[insurer]) == paying, received
        assert "case.compensation_settled" in received[insurer]
    assert "case.compensation_settled" in received["app-lc"]
    assert "claim.requested" not in received["app-lc"]
    if road == "appraisal_mediation":
        assert received["appraisal-lc"] == ["case.appraisal_requested"]
        assert received["court-lc"] == ["case.confirmation_requested"]
        assert received["mediation-lc"] == ["case.mediation_requested"]
        hook = next(h for h in receiver.received if h.path.endswith("/appraisal-lc"))
        [materials] = hook.json["data"]["materials"]
        assert materials["party"] == 1
        assert materials["insurer_assessed_loss"] == "5000.00"
        assert materials["repair_quotes"] == [{"amount": "6500.00", "shop": "聊城某4S店"}]
        assert {p["kind"] for p in materials["photos"]} >= {"overview_front", "plate"}
        assert all(p["party"] in (None, 1) for p in materials["photos"])
    else:
        assert "appraisal-lc" not in received
    if road == "arbitration":
        assert received["arbitration-lc"] == ["case.arbitration_requested"]
        assert "court-lc" not in received
    if road == "court":
        assert sorted(received["court-lc"]) == ["case.litigation_requested", "claim.overdue"]
        assert received["picc"].count("claim.overdue") == 1
        assert "claim.overdue" not in received["cpic"]
        assert received["app-lc"].count("claim.overdue") == 1
        overdue_hook = next(
            h for h in receiver.received if h.path.endswith("/picc") and b"claim.overdue" in h.body
        )
        assert overdue_hook.json["data"]["amount"] == "4100.00"
    if road == "calculation":
        assert "mediation-lc" not in received
        assert "court-lc" not in received
        requested = [
            h.json["data"]
            for h in receiver.received
            if h.json["type"] == "claim.requested" and h.path.endswith("/picc")
        ]
        assert all(
            d["insurer"] == "picc" and d["due_rule"].startswith("《中华人民共和国保险法》")
            for d in requested
        )

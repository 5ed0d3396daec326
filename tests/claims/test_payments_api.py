"""POST /v1/cases/{case_id}/claims/{claim_id}/payments: what an insurer that is not on the
platform paid, attested by the party paid (through the app) or an admin.

Party 0's 交强险 is PICC's, which is connected and reports its own payments; party 1's is
CPIC's, which is not registered here: its line can be closed only on someone's word.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from accident_online.auth.principal import Principal
from accident_online.models.user import Role

JUDGMENT = [
    # Paid by party 0's insurer, PICC (connected).
    {"party": 1, "payer_party": 0, "amount": "1000.00"},
    # Paid by party 1's insurer, CPIC (not connected).
    {"party": 0, "payer_party": 1, "amount": "600.00"},
]


class Road:
    """A judged case whose claims are to be paid, and the calls around it."""

    def __init__(
        self, client: httpx.AsyncClient, secrets: dict[str, str], app: dict[str, str]
    ) -> None:
        self.client = client
        self.secrets = secrets
        self.app = app

    async def send(self, partner_id: str, case_id: str, type_: str, **data: Any) -> httpx.Response:
        payload = json.dumps(
            {"type": type_, "timestamp": datetime.now(UTC).isoformat(),
             "data": {"case_id": case_id, **data}},
            ensure_ascii=False,
        )  # fmt: skip
        msg_id, now = f"evt_{uuid.uuid4().hex}", datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(self.secrets[partner_id]).sign(msg_id, now, payload),
        }
        return await self.client.post(
            f"/v1/webhooks/{partner_id}", content=payload, headers=headers
        )

    async def judged(self, final_case: Any) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """A final case the court judged: its record and claim lines by insurer code."""
        case = await final_case(f"officer.{uuid.uuid4().hex[:6]}")
        answered = await self.client.post(
            f"/v1/cases/{case['id']}/responses",
            json={"party": 1, "resolution": "litigation"},
            headers=self.app,
        )
        assert answered.status_code == 200, answered.text
        judged = await self.send("court-lc", case["id"], "judgment.issued", amounts=JUDGMENT)
        assert judged.status_code == 200, judged.text
        return await self.read(case["id"]), await self.lines(case["id"])

    async def lines(self, case_id: str) -> dict[str, dict[str, Any]]:
        listed = await self.client.get("/v1/claims", params={"limit": 200}, headers=self.admin)
        return {c["insurer_code"]: c for c in listed.json()["items"] if c["case_id"] == case_id}

    async def read(self, case_id: str) -> dict[str, Any]:
        return dict((await self.client.get(f"/v1/cases/{case_id}", headers=self.admin)).json())

    async def events(self, case_id: str) -> list[dict[str, Any]]:
        answer = await self.client.get(
            f"/v1/cases/{case_id}/events", params={"limit": 200}, headers=self.admin
        )
        return list(answer.json()["items"])

    async def attest(
        self, case_id: str, claim_id: str, headers: dict[str, str] | None = None, **body: Any
    ) -> httpx.Response:
        return await self.client.post(
            f"/v1/cases/{case_id}/claims/{claim_id}/payments",
            json={"party": 0, "amount": "600.00", "paid_at": datetime.now(UTC).isoformat(),
                  "reference": "CPIC-TRF-20261202-0001", **body},
            headers=headers or self.app,
        )  # fmt: skip

    admin: dict[str, str]


@pytest.fixture
async def road(client, make_partner, admin_headers, app_headers) -> Road:  # type: ignore[no-untyped-def]
    secrets = {
        "picc": (await make_partner("picc", kind="insurer", insurer_codes=["PICC"])).webhook_secret,
        "court-lc": (await make_partner("court-lc", kind="court")).webhook_secret,
    }
    road = Road(client, secrets, app_headers)
    road.admin = admin_headers
    return road


async def test_the_payees_word_pays_an_unconnected_insurers_line_and_closes_the_case(
    road, final_case
) -> None:
    case, lines = await road.judged(final_case)
    offline = lines["CPIC"]
    # PICC reports its own payment; CPIC's line is what is left open.
    picc = await road.send("picc", case["id"], "claim.paid", party=1, amount="1000.00")
    by_admin = await road.attest(
        case["id"], offline["id"], road.admin, amount="200", reference="柜面收据 0007"
    )
    between = await road.read(case["id"])
    by_payee = await road.attest(case["id"], offline["id"], amount="400.00")
    record = await road.read(case["id"])
    events = await road.events(case["id"])

    assert offline["insurer"] is None
    assert picc.status_code == 200, picc.text
    assert by_admin.status_code == 201, by_admin.text
    assert (by_admin.json()["paid_amount"], by_admin.json()["status"]) == ("200.00", "open")
    assert between["status"] == "awaiting_payment"
    assert by_payee.status_code == 201, by_payee.text
    assert by_payee.headers["location"] == f"/v1/cases/{case['id']}/events"
    assert (by_payee.json()["paid_amount"], by_payee.json()["status"]) == ("600.00", "paid")
    assert by_payee.json()["paid_at"] is not None
    assert record["status"] == "closed"
    assert [p["paid_amount"] for p in record["parties"]] == ["600.00", "1000.00"]
    assert [(e["type"], e["actor"].split(":")[0]) for e in events[-4:]] == [
        ("claim.paid", "partner"),
        ("claim.paid", "user"),
        ("claim.paid", "partner"),
        ("case.closed", "partner"),
    ]
    assert [e["actor"] for e in events[-4:] if e["actor"].startswith("partner:")] == [
        "partner:picc",
        "partner:app-lc",
        "partner:app-lc",
    ]
    attested = events[-2]["data"]
    assert attested["attested_by"] == "payee"
    assert (attested["claim_id"], attested["insurer_code"]) == (offline["id"], "CPIC")
    assert (attested["amount"], attested["paid_total"]) == ("400.00", "600.00")
    assert attested["reference"] == "CPIC-TRF-20261202-0001"
    assert attested["claims_paid"] == [offline["id"]]
    assert events[-3]["data"]["attested_by"] == "admin"
    assert events[-3]["data"]["amount"] == "200.00"
    assert events[-1]["data"]["reason"] == "claims_paid"


async def test_a_connected_insurers_line_is_its_own_to_report(road, final_case) -> None:
    case, lines = await road.judged(final_case)

    refused = await road.attest(case["id"], lines["PICC"]["id"], party=1, amount="1000.00")
    by_admin = await road.attest(
        case["id"], lines["PICC"]["id"], road.admin, party=1, amount="1000.00"
    )

    for answer in (refused, by_admin):
        assert answer.status_code == 409
        assert answer.json()["code"] == "insurer-reports-payments"
        assert "picc" in answer.json()["detail"]
    after = await road.read(case["id"])
    assert (after["status"], after["version"]) == ("awaiting_payment", case["version"])
    assert (await road.lines(case["id"]))["PICC"]["paid_amount"] == "0.00"


async def test_what_does_not_fit_the_line_changes_nothing(
    road, final_case, auth_headers, make_partner
) -> None:
    case, lines = await road.judged(final_case)
    other, _ = await road.judged(final_case)
    offline = lines["CPIC"]["id"]
    await make_partner("other-app", kind="app")
    other_app = auth_headers(
        Principal(subject="partner:other-app", role=Role.app, partner_id="other-app")
    )
    picc = auth_headers(Principal(subject="partner:picc", role=Role.insurer, partner_id="picc"))
    ahead = (datetime.now(UTC) + timedelta(hours=1)).isoformat()

    refused = {
        "over": await road.attest(case["id"], offline, amount="600.01"),
        "nothing": await road.attest(case["id"], offline, amount="0.00"),
        "not the payee": await road.attest(case["id"], offline, party=1),
        "in the future": await road.attest(case["id"], offline, paid_at=ahead),
        "no reference": await road.attest(case["id"], offline, reference="  "),
        "another case's line": await road.attest(other["id"], offline),
        "no such line": await road.attest(case["id"], str(uuid.uuid4())),
        "another app": await road.attest(case["id"], offline, other_app),
        "an insurer": await road.attest(case["id"], offline, picc),
    }
    after = await road.read(case["id"])

    assert {name: answer.status_code for name, answer in refused.items()} == {
        "over": 422,
        "nothing": 422,
        "not the payee": 422,
        "in the future": 422,
        "no reference": 422,
        "another case's line": 404,
        "no such line": 404,
        "another app": 404,
        "an insurer": 403,
    }
    over = refused["over"].json()
    assert over["code"] == "claim-overpaid"
    assert over["errors"][0]["loc"] == ["body", "amount"]
    assert "600.00" in over["detail"]
    assert refused["not the payee"].json()["errors"][0]["loc"] == ["body", "party"]
    assert refused["in the future"].json()["errors"][0]["loc"] == ["body", "paid_at"]
    assert refused["another case's line"].json()["code"] == "claim-not-found"
    assert refused["another app"].json()["code"] == "case-not-found"
    for answer in refused.values():
        assert answer.headers["content-type"] == "application/problem+json"
    assert (after["status"], after["version"]) == ("awaiting_payment", case["version"])
    assert [p["paid_amount"] for p in after["parties"]] == [None, None]
    assert (await road.lines(case["id"]))["CPIC"]["paid_amount"] == "0.00"


async def test_a_retry_or_a_paid_line_takes_no_second_payment(road, final_case) -> None:
    case, lines = await road.judged(final_case)
    offline = lines["CPIC"]["id"]

    part = await road.attest(case["id"], offline, amount="200.00", reference="TRF-1")
    retried = await road.attest(case["id"], offline, amount="200.00", reference="TRF-1")
    rest = await road.attest(case["id"], offline, amount="400.00", reference="TRF-2")
    again = await road.attest(case["id"], offline, amount="1.00", reference="TRF-3")

    assert part.status_code == 201, part.text
    assert retried.status_code == 409
    assert retried.json()["code"] == "payment-already-recorded"
    assert rest.status_code == 201, rest.text
    assert (rest.json()["paid_amount"], rest.json()["status"]) == ("600.00", "paid")
    assert again.status_code == 409
    assert again.json()["code"] == "claim-not-requested"
    assert (await road.read(case["id"]))["status"] == "awaiting_payment"

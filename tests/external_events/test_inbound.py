"""POST /v1/webhooks/{partner_id}: signed partner events, their effects, replays and refusals.

Signatures are made with the standardwebhooks package itself, not with our own code, so
that these tests check compatibility with what partners' libraries send.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import select
from standardwebhooks import Webhook

from accident_online.auth.principal import Principal
from accident_online.claims.rules import ClaimRules
from accident_online.disputes.tasks import settle_accepted_cases
from accident_online.kit.time import utc_now
from accident_online.models.partner import Partner
from accident_online.models.user import Role
from accident_online.models.webhook import InboundEvent, WebhookMessage
from accident_online_testing.road import (
    accept_the_calculation,
    confirm_every_party,
    deliver_to_every_party,
)

DECISION = {
    "liabilities": [{"party": 0, "grade": "primary"}, {"party": 1, "grade": "secondary"}],
    "facts": "甲车未按规定让行，与乙车发生刮擦，两车受损。",
    "legal_basis": "《道路交通安全法》第三十八条；《道路交通事故处理程序规定》第六十条",
}


def event(type_: str, case_id: str, **data: Any) -> dict[str, Any]:
    return {
        "type": type_,
        "timestamp": datetime.now(UTC).isoformat(),
        "data": {"case_id": case_id, **data},
    }


def signed(
    secret: str,
    body: dict[str, Any] | bytes,
    *,
    msg_id: str | None = None,
    at: datetime | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The body and Standard Webhooks headers, as a partner's library makes them."""
    payload = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    msg_id = msg_id or f"evt_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, at, payload.decode())
    return payload, {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


class Partners:
    """The partner systems of these tests and a way to send as each of them."""

    def __init__(self, client: httpx.AsyncClient, secrets: dict[str, str]) -> None:
        self.client = client
        self.secrets = secrets

    async def send(
        self,
        partner_id: str,
        body: dict[str, Any] | bytes,
        *,
        msg_id: str | None = None,
        secret: str | None = None,
        at: datetime | None = None,
    ) -> httpx.Response:
        payload, headers = signed(secret or self.secrets[partner_id], body, msg_id=msg_id, at=at)
        return await self.client.post(
            f"/v1/webhooks/{partner_id}", content=payload, headers=headers
        )


@pytest.fixture
async def partners(client, admin_headers, app_headers, make_partner) -> Partners:  # type: ignore[no-untyped-def]
    """Insurers of both parties (PICC, CPIC), another insurer, mediation and the court.

    Registered before any report is filed, so that the parties' insurers are connected.
    The court has an endpoint, to see it notified.
    """
    secrets = {
        "picc": (await make_partner("picc", kind="insurer", insurer_codes=["PICC"])).webhook_secret,
        "cpic": (await make_partner("cpic", kind="insurer", insurer_codes=["CPIC"])).webhook_secret,
        "paic": (await make_partner("paic", kind="insurer", insurer_codes=["PAIC"])).webhook_secret,
        # Party 0's commercial policy (third-party cover, 车损险) is with PINGAN.
        "pingan": (
            await make_partner("pingan", kind="insurer", insurer_codes=["PINGAN"])
        ).webhook_secret,
        "mediation-lc": (await make_partner("mediation-lc", kind="mediation")).webhook_secret,
    }
    court = await client.post(
        "/v1/partners",
        json={
            "id": "court-lc",
            "kind": "court",
            "name": "聊城市东昌府区人民法院",
            "webhook_url": "http://127.0.0.1:9/court",
        },
        headers=admin_headers,
    )
    assert court.status_code == 201, court.text
    secrets["court-lc"] = court.json()["webhook_secret"]
    return Partners(client, secrets)


@pytest.fixture
def decided_case(client, partners, queued_case, make_officer):  # type: ignore[no-untyped-def]
    async def make() -> dict[str, Any]:
        officer = await make_officer(f"officer.{uuid.uuid4().hex[:8]}")
        case = await queued_case()
        version = (
            await client.post(f"/v1/cases/{case['id']}/claim", headers=officer.headers)
        ).json()["version"]
        decided = await client.post(
            f"/v1/cases/{case['id']}/decision", json=DECISION, headers=officer.with_version(version)
        )
        assert decided.status_code == 200, decided.text
        return decided.json()

    return make


@pytest.fixture
def case_in(client, app_headers, decided_case):  # type: ignore[no-untyped-def]
    """A case brought to accepted, in_mediation or in_litigation: delivered, every party
    without objection (final), then each party's choice of how compensation is settled."""

    async def make(status: str) -> dict[str, Any]:
        case = await decided_case()
        answers = {
            "accepted": [(0, "insurer_claim"), (1, "insurer_claim")],
            "in_mediation": [(1, "mediation")],
            "in_litigation": [(1, "litigation")],
        }[status]
        await deliver_to_every_party(client, case, app_headers)
        for party, resolution in answers:
            answered = await client.post(
                f"/v1/cases/{case['id']}/responses",
                json={"party": party, "resolution": resolution},
                headers=app_headers,
            )
        assert answered.json()["status"] == status, answered.text
        return answered.json()

    return make


async def assess(partners: Partners, case_id: str) -> None:
    """Each insurer assesses its insured's loss: PICC party 0 (3000), CPIC party 1 (5000).

    With the decision's 70/30 the settlement then has PICC pay party 1 2000.00 (交强险)
    and 2100.00 (商业三者险), CPIC pay party 0 2000.00 (交强险), party 1 pay 300.00 itself.
    """
    for partner_id, party, loss in (("picc", 0, "3000.00"), ("cpic", 1, "5000.00")):
        response = await partners.send(
            partner_id, event("claim.assessed", case_id, party=party, assessed_loss=loss)
        )
        assert response.status_code == 200, response.text


async def read(client, admin_headers, case_id) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return (await client.get(f"/v1/cases/{case_id}", headers=admin_headers)).json()


async def timeline(client, admin_headers, case_id) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    response = await client.get(f"/v1/cases/{case_id}/events?limit=200", headers=admin_headers)
    return response.json()["items"]


async def inbound_rows(session, webhook_id: str) -> list[InboundEvent]:  # type: ignore[no-untyped-def]
    rows = await session.exec(select(InboundEvent).where(InboundEvent.webhook_id == webhook_id))
    return list(rows.all())


# --- effects ----------------------------------------------------------------------------


async def test_claim_opened_is_written_to_the_timeline(
    client, admin_headers, partners, decided_case, session
) -> None:
    case = await decided_case()

    response = await partners.send(
        "picc",
        event("claim.opened", case["id"], party=1, claim_number="PICC-LC-2026-0001"),
        msg_id="evt_opened_1",
    )
    record = await read(client, admin_headers, case["id"])
    last = (await timeline(client, admin_headers, case["id"]))[-1]

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "applied", "case_version": case["version"] + 1}
    assert record["status"] == "decided"
    assert record["version"] == case["version"] + 1
    assert last["type"] == "claim.opened"
    assert last["actor"] == "partner:picc"
    assert last["data"]["party"] == 1
    assert last["data"]["claim_number"] == "PICC-LC-2026-0001"
    assert last["data"]["webhook_id"] == "evt_opened_1"
    rows = await inbound_rows(session, "evt_opened_1")
    assert [(r.partner_id, r.type, r.case_id) for r in rows] == [
        ("picc", "claim.opened", case["id"])
    ]


async def test_claim_assessed_sets_the_partys_loss(
    client, admin_headers, app_headers, partners, decided_case
) -> None:
    case = await decided_case()

    # Each insurer assesses its own insured's vehicle: PICC party 0, CPIC party 1.
    first = await partners.send(
        "cpic", event("claim.assessed", case["id"], party=1, assessed_loss="5000")
    )
    second = await partners.send(
        "picc", event("claim.assessed", case["id"], party=0, assessed_loss="3000.00")
    )
    again = await partners.send(
        "picc", event("claim.assessed", case["id"], party=0, assessed_loss="3100.50")
    )
    record = await read(client, admin_headers, case["id"])
    events = await timeline(client, admin_headers, case["id"])
    settlement = (
        await client.get(f"/v1/cases/{case['id']}/settlement", headers=app_headers)
    ).json()

    assert [r.status_code for r in (first, second, again)] == [200, 200, 200]
    assert [p["assessed_loss"] for p in record["parties"]] == ["3100.50", "5000.00"]
    assert record["status"] == "decided"
    assessed = [e for e in events if e["type"] == "claim.assessed"]
    assert [(e["actor"], e["data"]["party"], e["data"]["assessed_loss"]) for e in assessed] == [
        ("partner:cpic", 1, "5000.00"),
        ("partner:picc", 0, "3000.00"),
        ("partner:picc", 0, "3100.50"),
    ]
    assert assessed[-1]["data"]["replaces"] == "3000.00"
    assert settlement["awaiting_assessment"] == []


async def test_claim_paid_by_every_party_closes_an_accepted_case(
    client, admin_headers, partners, case_in
) -> None:
    case = await case_in("accepted")
    await assess(partners, case["id"])

    compulsory = await partners.send(
        "picc", event("claim.paid", case["id"], party=1, amount="2000.00")
    )
    # Party 0's 交强险 is PICC's, its commercial third-party cover PINGAN's.
    commercial = await partners.send(
        "pingan", event("claim.paid", case["id"], party=1, amount="2100")
    )
    # Its 车损险, PINGAN's too, pays party 0's own 70 % of the loss left after 交强险: the
    # case closes only once every claim line the calculation opened is paid (claims/).
    own_damage = await partners.send(
        "pingan", event("claim.paid", case["id"], party=0, amount="700.00")
    )
    between = await read(client, admin_headers, case["id"])
    last = await partners.send("cpic", event("claim.paid", case["id"], party=0, amount="2000.00"))
    record = await read(client, admin_headers, case["id"])
    events = await timeline(client, admin_headers, case["id"])

    assert [r.status_code for r in (compulsory, commercial, own_damage, last)] == [200] * 4
    assert between["status"] == "accepted"
    assert [p["paid_amount"] for p in between["parties"]] == ["700.00", "4100.00"]
    assert record["status"] == "closed"
    assert record["closed_at"] is not None
    assert [p["paid_amount"] for p in record["parties"]] == ["2700.00", "4100.00"]
    assert last.json()["case_version"] == record["version"]
    assert [(e["type"], e["actor"]) for e in events[-5:]] == [
        ("claim.paid", "partner:picc"),
        ("claim.paid", "partner:pingan"),
        ("claim.paid", "partner:pingan"),
        ("claim.paid", "partner:cpic"),
        ("case.closed", "partner:cpic"),
    ]
    assert events[-4]["data"]["paid_total"] == "4100.00"
    assert events[-1]["data"]["from"] == "accepted"


async def test_mediation_agreed_with_nothing_owed_closes_the_case(
    client, admin_headers, partners, case_in
) -> None:
    case = await case_in("in_mediation")

    response = await partners.send(
        "mediation-lc", event("mediation.agreed", case["id"], agreement="乙方赔偿甲方 800 元。")
    )
    record = await read(client, admin_headers, case["id"])
    events = await timeline(client, admin_headers, case["id"])

    assert response.status_code == 200, response.text
    # No loss assessed, no amounts agreed: the calculation has no insurer pay anything.
    assert record["status"] == "closed"
    assert [(e["type"], e["actor"]) for e in events[-3:]] == [
        ("mediation.agreed", "partner:mediation-lc"),
        ("case.compensation_settled", "partner:mediation-lc"),
        ("case.closed", "partner:mediation-lc"),
    ]
    assert events[-3]["data"]["agreement"] == "乙方赔偿甲方 800 元。"
    assert events[-1]["data"]["reason"] == "nothing_owed"


async def test_mediation_failed_goes_to_court_which_is_notified_and_then_judges(
    client, admin_headers, partners, case_in, session
) -> None:
    case = await case_in("in_mediation")

    failed = await partners.send(
        "mediation-lc", event("mediation.failed", case["id"], reason="双方对损失金额分歧较大")
    )
    record = await read(client, admin_headers, case["id"])
    notified = (
        await session.exec(
            select(WebhookMessage).where(
                WebhookMessage.case_id == case["id"],
                WebhookMessage.event_type == "case.litigation_requested",
            )
        )
    ).all()
    filed = await partners.send(
        "court-lc", event("lawsuit.filed", case["id"], docket_number="(2026)鲁1502民初1234号")
    )
    judged = await partners.send(
        "court-lc", event("judgment.issued", case["id"], summary="乙方承担次要责任。")
    )
    closed = await read(client, admin_headers, case["id"])
    events = await timeline(client, admin_headers, case["id"])

    assert failed.status_code == 200, failed.text
    assert record["status"] == "in_litigation"
    assert record["resolution"] == "litigation"
    assert [(m.partner_id, m.case_version) for m in notified] == [("court-lc", record["version"])]
    assert filed.status_code == 200, filed.text
    assert judged.status_code == 200, judged.text
    assert closed["status"] == "closed"
    assert [(e["type"], e["actor"]) for e in events[-6:]] == [
        ("mediation.failed", "partner:mediation-lc"),
        ("case.litigation_requested", "partner:mediation-lc"),
        ("lawsuit.filed", "partner:court-lc"),
        ("judgment.issued", "partner:court-lc"),
        ("case.compensation_settled", "partner:court-lc"),
        ("case.closed", "partner:court-lc"),
    ]
    assert events[-4]["data"]["docket_number"] == "(2026)鲁1502民初1234号"


# --- replays ----------------------------------------------------------------------------


async def test_a_replayed_webhook_id_changes_nothing(
    client, admin_headers, partners, case_in, session
) -> None:
    case = await case_in("accepted")
    await assess(partners, case["id"])
    body = event("claim.paid", case["id"], party=0, amount="2000.00")

    first = await partners.send("cpic", body, msg_id="evt_paid_once")
    replay = await partners.send("cpic", body, msg_id="evt_paid_once")
    record = await read(client, admin_headers, case["id"])
    events = await timeline(client, admin_headers, case["id"])

    assert first.json()["status"] == "applied"
    assert replay.status_code == 200
    assert replay.json() == {"status": "duplicate"}
    assert record["parties"][0]["paid_amount"] == "2000.00"
    assert record["version"] == first.json()["case_version"]
    assert [e["type"] for e in events].count("claim.paid") == 1
    assert len(await inbound_rows(session, "evt_paid_once")) == 1


async def test_the_same_webhook_id_from_another_partner_is_another_event(
    client, admin_headers, partners, decided_case
) -> None:
    case = await decided_case()

    picc = await partners.send("picc", event("claim.opened", case["id"]), msg_id="evt_1")
    cpic = await partners.send("cpic", event("claim.opened", case["id"]), msg_id="evt_1")

    assert picc.json()["status"] == cpic.json()["status"] == "applied"


async def test_ten_concurrent_replays_apply_once(committed_app, report_body, png) -> None:
    from accident_online.auth.service import issue_access_token

    key = committed_app.state.jwt_key

    def bearer(principal: Principal) -> dict[str, str]:
        return {
            "Authorization": "Bearer "
            + issue_access_token(principal, key=key, ttl_seconds=600).access_token
        }

    from accident_online.auth.schemas import UserCreate
    from accident_online.auth.service import create_user, principal_for_user
    from accident_online.models.user import UserRole

    async with committed_app.state.database.session(write=True) as session:
        root = await create_user(
            session, UserCreate(username="root", password="an-admin-password", role=UserRole.admin)
        )
    admin = bearer(principal_for_user(root))
    app = bearer(Principal(subject="partner:app-lc", role=Role.app, partner_id="app-lc"))
    transport = httpx.ASGITransport(app=committed_app, client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        secrets = {}
        for partner in (
            {"id": "app-lc", "kind": "app", "name": "App"},
            {"id": "picc", "kind": "insurer", "name": "PICC", "insurer_codes": ["PICC"]},
            {"id": "cpic", "kind": "insurer", "name": "CPIC", "insurer_codes": ["CPIC"]},
        ):
            created = await client.post("/v1/partners", json=partner, headers=admin)
            assert created.status_code == 201, created.text
            secrets[partner["id"]] = created.json()["webhook_secret"]
        user = await client.post(
            "/v1/admin/users",
            json={
                "username": "officer.zhao",
                "password": "a-long-enough-password",
                "role": "officer",
                "center_id": "dongchangfu",
            },
            headers=admin,
        )
        officer = bearer(
            Principal(
                subject=f"user:{user.json()['id']}", role=Role.officer, center_id="dongchangfu"
            )
        )
        case = (
            await client.post(
                "/v1/reports", json=report_body(), headers={**app, "Idempotency-Key": "k1"}
            )
        ).json()
        await confirm_every_party(client, case, app)
        photos = [("overview_front", None), ("overview_rear", None), ("collision_point", None)]
        for number, (kind, party) in enumerate([*photos, ("plate", 0), ("plate", 1)]):
            data = {"kind": kind} if party is None else {"kind": kind, "party": str(party)}
            uploaded = await client.post(
                f"/v1/cases/{case['id']}/evidence",
                data=data,
                files={"file": (f"{kind}.png", png(number + 1), "image/png")},
                headers=app,
            )
            assert uploaded.status_code == 201, uploaded.text
        claimed = await client.post(f"/v1/cases/{case['id']}/claim", headers=officer)
        decided = await client.post(
            f"/v1/cases/{case['id']}/decision",
            json=DECISION,
            headers={**officer, "If-Match": f'"{claimed.json()["version"]}"'},
        )
        assert decided.status_code == 200, decided.text
        await accept_the_calculation(client, case, app)
        for partner_id, party, loss in (("picc", 0, "3000.00"), ("cpic", 1, "5000.00")):
            body, assessed_headers = signed(
                secrets[partner_id],
                event("claim.assessed", case["id"], party=party, assessed_loss=loss),
            )
            assessed = await client.post(
                f"/v1/webhooks/{partner_id}", content=body, headers=assessed_headers
            )
            assert assessed.status_code == 200, assessed.text

        payload, headers = signed(
            secrets["picc"],
            event("claim.paid", case["id"], party=1, amount="2000.00"),
            msg_id="evt_concurrent",
        )
        responses = await asyncio.gather(
            *(client.post("/v1/webhooks/picc", content=payload, headers=headers) for _ in range(10))
        )
        record = (await client.get(f"/v1/cases/{case['id']}", headers=admin)).json()
        events = (
            await client.get(f"/v1/cases/{case['id']}/events?limit=200", headers=admin)
        ).json()["items"]

    assert [r.status_code for r in responses] == [200] * 10, [r.text for r in responses]
    assert sorted(r.json()["status"] for r in responses) == ["applied"] + ["duplicate"] * 9
    assert record["parties"][1]["paid_amount"] == "2000.00"
    assert [e["type"] for e in events].count("claim.paid") == 1


# --- refusals ---------------------------------------------------------------------------


async def test_bad_signatures_are_401_problems_and_change_nothing(
    client, admin_headers, partners, decided_case
) -> None:
    case = await decided_case()
    body = event("claim.opened", case["id"])
    payload, good = signed(partners.secrets["picc"], body)
    other_secret = partners.secrets["cpic"]

    attempts = {
        "no headers": ("picc", payload, {"content-type": "application/json"}),
        "no signature": (
            "picc",
            payload,
            {k: v for k, v in good.items() if k != "webhook-signature"},
        ),
        "garbage signature": ("picc", payload, {**good, "webhook-signature": "garbage"}),
        "not base64": ("picc", payload, {**good, "webhook-signature": "v1,%%%not-base64%%%"}),
        "other version": ("picc", payload, {**good, "webhook-signature": "v2,AAAA"}),
        "bad timestamp": ("picc", payload, {**good, "webhook-timestamp": "yesterday"}),
        "wrong secret": ("picc", *signed(other_secret, body)),
        "tampered body": ("picc", payload.replace(b"claim.opened", b"claim.opened "), good),
        "stale": (
            "picc",
            *signed(partners.secrets["picc"], body, at=utc_now() - timedelta(minutes=6)),
        ),
        "future": (
            "picc",
            *signed(partners.secrets["picc"], body, at=utc_now() + timedelta(minutes=6)),
        ),
        "unknown partner": ("nobody", payload, good),
        "not utf-8": ("picc", b"\xff\xfe", good),
    }
    results = {
        name: await client.post(f"/v1/webhooks/{partner_id}", content=data, headers=headers)
        for name, (partner_id, data, headers) in attempts.items()
    }
    record = await read(client, admin_headers, case["id"])

    for name, response in results.items():
        assert response.status_code == 401, (name, response.text)
        assert response.headers["content-type"] == "application/problem+json", name
        assert response.json()["code"] == "invalid-signature", name
    assert record["version"] == case["version"]


async def test_an_oversized_body_is_413_before_any_signature_check(
    client, partners, settings
) -> None:
    body = b'{"type":"claim.opened","padding":"' + b"x" * settings.max_body_bytes + b'"}'

    response = await partners.send("picc", body)

    assert response.status_code == 413
    assert response.json()["code"] == "payload-too-large"


async def test_a_type_this_partner_kind_does_not_send_is_422(partners, decided_case) -> None:
    case = await decided_case()

    insurer = await partners.send("picc", event("mediation.agreed", case["id"]))
    court = await partners.send("court-lc", event("claim.opened", case["id"]))
    unknown = await partners.send("picc", event("claim.denied", case["id"]))

    assert insurer.status_code == court.status_code == 422
    assert insurer.json()["code"] == "event-type-not-accepted"
    assert court.json()["code"] == "event-type-not-accepted"
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "validation-error"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (b"{not json", ["body"]),
        ({"type": "claim.assessed", "timestamp": "2026-11-28T10:00:00+08:00"}, ["body", "data"]),
        ({"type": "claim.assessed", "timestamp": "now", "data": {}}, ["body", "timestamp"]),
        ("assessed_loss=12.345", ["body", "data", "assessed_loss"]),
        ("assessed_loss=-1.00", ["body", "data", "assessed_loss"]),
        ("party=-1", ["body", "data", "party"]),
        ("case_id=nope", ["body", "data", "case_id"]),
    ],
)
async def test_a_malformed_event_is_a_422_problem(partners, decided_case, body, loc) -> None:
    case = await decided_case()
    if isinstance(body, str):
        field, value = body.split("=")
        body = event("claim.assessed", case["id"], party=0, assessed_loss="100.00")
        body["data"][field] = int(value) if field == "party" else value

    response = await partners.send("picc", body)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation-error"
    assert loc in [error["loc"] for error in response.json()["errors"]]


async def test_a_case_that_does_not_concern_the_partner_is_404(
    client, admin_headers, partners, decided_case, session
) -> None:
    case = await decided_case()

    other_insurer = await partners.send("paic", event("claim.opened", case["id"]), msg_id="e404")
    mediation = await partners.send("mediation-lc", event("mediation.agreed", case["id"]))
    no_case = await partners.send("picc", event("claim.opened", str(uuid.uuid4())))
    record = await read(client, admin_headers, case["id"])

    for response in (other_insurer, mediation, no_case):
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "case-not-found"
    assert record["version"] == case["version"]
    assert await inbound_rows(session, "e404") == []


async def test_a_party_the_case_does_not_have_is_422(partners, decided_case) -> None:
    case = await decided_case()

    response = await partners.send(
        "picc", event("claim.assessed", case["id"], party=2, assessed_loss="100.00")
    )

    assert response.status_code == 422
    assert response.json()["code"] == "party-not-found"
    assert response.json()["errors"][0]["loc"] == ["body", "data", "party"]


async def test_an_event_that_does_not_fit_the_status_is_409_then_applies_later(
    client, admin_headers, app_headers, partners, decided_case, session
) -> None:
    case = await decided_case()
    await assess(partners, case["id"])
    case = await read(client, admin_headers, case["id"])
    body = event("claim.paid", case["id"], party=0, amount="2000.00")

    too_early = await partners.send("cpic", body, msg_id="evt_paid_early")
    record = await read(client, admin_headers, case["id"])
    rows = await inbound_rows(session, "evt_paid_early")
    await deliver_to_every_party(client, case, app_headers)
    for party in (0, 1):
        await client.post(
            f"/v1/cases/{case['id']}/responses",
            json={"party": party, "resolution": "insurer_claim"},
            headers=app_headers,
        )
    # Assessed before the parties chose: the last insurer_claim already asked the insurers
    # to pay (disputes.stage); housekeeping finds nothing left to open.
    assert await settle_accepted_cases(session, rules=ClaimRules()) == 0
    await session.commit()
    retried = await partners.send("cpic", body, msg_id="evt_paid_early")
    after = await read(client, admin_headers, case["id"])

    assert too_early.status_code == 409
    assert too_early.json()["code"] == "event-not-applicable"
    assert record["version"] == case["version"]
    assert record["parties"][0]["paid_amount"] is None
    assert rows == []
    assert retried.status_code == 200
    assert retried.json()["status"] == "applied"
    assert after["parties"][0]["paid_amount"] == "2000.00"
    assert after["status"] == "accepted"


async def test_events_that_come_too_late_are_409(client, admin_headers, partners, case_in) -> None:
    mediated = await case_in("in_mediation")
    litigated = await case_in("in_litigation")
    await partners.send("mediation-lc", event("mediation.agreed", mediated["id"]))
    await partners.send("court-lc", event("judgment.issued", litigated["id"]))
    before = {c["id"]: await read(client, admin_headers, c["id"]) for c in (mediated, litigated)}

    late = {
        "claim.paid while in mediation": await partners.send(
            "picc", event("claim.paid", (await case_in("in_mediation"))["id"], party=0, amount="1")
        ),
        "claim.opened after closing": await partners.send(
            "picc", event("claim.opened", mediated["id"])
        ),
        "mediation.failed after agreement": await partners.send(
            "mediation-lc", event("mediation.failed", mediated["id"])
        ),
        "lawsuit.filed after judgment": await partners.send(
            "court-lc", event("lawsuit.filed", litigated["id"])
        ),
    }
    after = {c["id"]: await read(client, admin_headers, c["id"]) for c in (mediated, litigated)}

    assert {name: r.status_code for name, r in late.items()} == dict.fromkeys(late, 409)
    assert [c["status"] for c in before.values()] == ["closed", "closed"]
    assert [c["version"] for c in after.values()] == [c["version"] for c in before.values()]


# --- secret rotation --------------------------------------------------------------------


async def test_the_previous_secret_verifies_until_it_expires(
    client, admin_headers, partners, decided_case, session
) -> None:
    case = await decided_case()
    old = partners.secrets["picc"]

    rotated = await client.post("/v1/partners/picc/rotate-secret", headers=admin_headers)
    new = rotated.json()["webhook_secret"]
    with_old = await partners.send("picc", event("claim.opened", case["id"]), secret=old)
    with_new = await partners.send("picc", event("claim.opened", case["id"]), secret=new)
    partner = await session.get(Partner, "picc")
    assert partner is not None
    partner.previous_secret_expires_at = utc_now() - timedelta(seconds=1)
    session.add(partner)
    await session.commit()
    expired = await partners.send("picc", event("claim.opened", case["id"]), secret=old)
    still_new = await partners.send("picc", event("claim.opened", case["id"]), secret=new)

    assert rotated.status_code == 200
    assert new != old
    assert with_old.status_code == 200, with_old.text
    assert with_new.status_code == 200, with_new.text
    assert expired.status_code == 401
    assert still_new.status_code == 200


async def test_inbound_route_is_documented(client) -> None:
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"]["/v1/webhooks/{partner_id}"]["post"]

    assert operation["summary"]
    assert "401" in operation["responses"]
    assert "409" in operation["responses"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert "oneOf" in spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    assert "$defs" not in json.dumps(operation)
    assert {p["name"] for p in operation["parameters"]} >= {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }


async def test_a_correctly_signed_body_that_is_not_utf8_is_422(
    client, admin_headers, partners, decided_case
) -> None:
    case = await decided_case()
    payload = json.dumps(event("claim.opened", case["id"], claim_number="X")).encode()
    payload = payload.replace(b'"X"', b'"\xff\xfe"')
    msg_id, at = f"evt_{uuid.uuid4().hex}", str(int(utc_now().timestamp()))
    # Standard Webhooks by hand: HMAC-SHA256 over "id.timestamp.body", the body as bytes.
    key = base64.b64decode(partners.secrets["picc"].removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{at}.".encode() + payload, hashlib.sha256).digest()
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": at,
        "webhook-signature": f"v1,{base64.b64encode(digest).decode()}",
    }

    response = await client.post("/v1/webhooks/picc", content=payload, headers=headers)
    record = await read(client, admin_headers, case["id"])

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert record["version"] == case["version"]


# --- whose figures ----------------------------------------------------------------------


async def test_an_insurer_assesses_only_its_own_insureds_loss(
    client, admin_headers, partners, decided_case, session
) -> None:
    case = await decided_case()

    others = await partners.send(
        "picc", event("claim.assessed", case["id"], party=1, assessed_loss="99999.00")
    )
    absurd = await partners.send(
        "cpic", event("claim.assessed", case["id"], party=1, assessed_loss="99999999.00")
    )
    record = await read(client, admin_headers, case["id"])

    assert others.status_code == 403, others.text
    assert others.headers["content-type"] == "application/problem+json"
    assert others.json()["code"] == "claim-not-covered"
    assert absurd.status_code == 422, absurd.text
    assert absurd.json()["code"] == "amount-out-of-range"
    assert absurd.json()["errors"][0]["loc"] == ["body", "data", "assessed_loss"]
    assert [p["assessed_loss"] for p in record["parties"]] == [None, None]
    assert record["version"] == case["version"]
    assert await inbound_rows(session, others.request.headers["webhook-id"]) == []


async def test_an_insurer_pays_only_what_the_settlement_has_it_pay(
    client, admin_headers, partners, case_in
) -> None:
    case = await case_in("accepted")
    await assess(partners, case["id"])
    before = await read(client, admin_headers, case["id"])

    refused = {
        # PICC's own insured: paid by CPIC (交强险) and party 1 itself, not by PICC.
        "not a payer of party 0": await partners.send(
            "picc", event("claim.paid", case["id"], party=0, amount="2000.00")
        ),
        # PICC's line to party 1 is its 交强险, 2000.00 (the 2100.00 of commercial
        # third-party cover is PINGAN's).
        "more than its lines": await partners.send(
            "picc", event("claim.paid", case["id"], party=1, amount="2000.01")
        ),
        # CPIC pays party 0 only; "0.00" to its own insured, who is paid by PICC, is no
        # way to close the case either.
        "zero to a party others pay": await partners.send(
            "cpic", event("claim.paid", case["id"], party=1, amount="0.00")
        ),
    }
    after = await read(client, admin_headers, case["id"])

    assert {name: r.status_code for name, r in refused.items()} == {
        "not a payer of party 0": 403,
        "more than its lines": 422,
        "zero to a party others pay": 403,
    }
    assert after["version"] == before["version"]
    assert [p["paid_amount"] for p in after["parties"]] == [None, None]
    assert after["status"] == "accepted"


async def test_the_no_fault_proxy_line_is_paid_by_the_victims_own_insurer(
    client, admin_headers, app_headers, partners, queued_case, make_officer
) -> None:
    # Party 1 is not liable: its 交强险 share of party 0's loss is advanced by party 0's
    # own insurer (无责代赔), so PICC pays its own insured and CPIC pays party 0 nothing.
    officer = await make_officer(f"officer.{uuid.uuid4().hex[:8]}")
    case = await queued_case()
    version = (await client.post(f"/v1/cases/{case['id']}/claim", headers=officer.headers)).json()[
        "version"
    ]
    decision = {
        **DECISION,
        "liabilities": [{"party": 0, "grade": "full"}, {"party": 1, "grade": "none"}],
    }
    decided = await client.post(
        f"/v1/cases/{case['id']}/decision", json=decision, headers=officer.with_version(version)
    )
    assert decided.status_code == 200, decided.text
    await deliver_to_every_party(client, case, app_headers)
    for party in (0, 1):
        await client.post(
            f"/v1/cases/{case['id']}/responses",
            json={"party": party, "resolution": "insurer_claim"},
            headers=app_headers,
        )
    await assess(partners, case["id"])
    settlement = (
        await client.get(f"/v1/cases/{case['id']}/settlement", headers=app_headers)
    ).json()["settlement"]
    [proxy] = [line for line in settlement["lines"] if line["rule"] == "compulsory_no_fault_proxy"]

    by_cpic = await partners.send(
        "cpic", event("claim.paid", case["id"], party=0, amount=proxy["amount"])
    )
    by_picc = await partners.send(
        "picc", event("claim.paid", case["id"], party=0, amount=proxy["amount"])
    )
    record = await read(client, admin_headers, case["id"])

    assert (proxy["payer"], proxy["payee_party"]) == ("insurer:PICC", 0)
    assert by_cpic.status_code == 403, by_cpic.text
    assert by_picc.status_code == 200, by_picc.text
    assert record["parties"][0]["paid_amount"] == proxy["amount"]


# --- one organisation per case ----------------------------------------------------------


async def test_a_disputed_case_goes_to_one_mediation_organisation_and_one_court(
    client, admin_headers, auth_headers, partners, make_partner, case_in, session
) -> None:
    # Registered after mediation-lc and court-lc: the case goes to those, not to these.
    for partner_id, kind in (("mediation-other", "mediation"), ("court-other", "court")):
        created = await make_partner(partner_id, kind=kind, webhook_url="http://127.0.0.1:9/o")
        partners.secrets[partner_id] = created.webhook_secret
    await client.patch(
        "/v1/partners/mediation-lc",
        json={"webhook_url": "http://127.0.0.1:9/m"},
        headers=admin_headers,
    )

    def as_partner(partner_id: str, role: Role) -> dict[str, str]:
        return auth_headers(
            Principal(subject=f"partner:{partner_id}", role=role, partner_id=partner_id)
        )

    async def sees(partner_id: str, role: Role, case_id: str) -> tuple[int, list[str]]:
        headers = as_partner(partner_id, role)
        one = await client.get(f"/v1/cases/{case_id}", headers=headers)
        listed = await client.get("/v1/cases", headers=headers)
        return one.status_code, [c["id"] for c in listed.json()["items"]]

    async def recipients(case_id: str, event_type: str) -> list[str]:
        rows = await session.exec(
            select(WebhookMessage.partner_id).where(
                WebhookMessage.case_id == case_id, WebhookMessage.event_type == event_type
            )
        )
        return sorted(rows.all())

    case = await case_in("in_mediation")
    in_mediation = {
        "chosen": await sees("mediation-lc", Role.mediation, case["id"]),
        "other": await sees("mediation-other", Role.mediation, case["id"]),
    }
    foreign = await partners.send("mediation-other", event("mediation.failed", case["id"]))
    unchanged = await read(client, admin_headers, case["id"])
    failed = await partners.send("mediation-lc", event("mediation.failed", case["id"]))
    in_court = {
        "chosen": await sees("court-lc", Role.court, case["id"]),
        "other": await sees("court-other", Role.court, case["id"]),
    }
    foreign_judgment = await partners.send("court-other", event("judgment.issued", case["id"]))
    judged = await partners.send("court-lc", event("judgment.issued", case["id"]))

    assert in_mediation == {"chosen": (200, [case["id"]]), "other": (404, [])}
    assert await recipients(case["id"], "case.mediation_requested") == ["mediation-lc"]
    assert foreign.status_code == 404, foreign.text
    assert (unchanged["status"], unchanged["version"]) == ("in_mediation", case["version"])
    assert failed.status_code == 200, failed.text
    assert in_court == {"chosen": (200, [case["id"]]), "other": (404, [])}
    assert await recipients(case["id"], "case.litigation_requested") == ["court-lc"]
    assert foreign_judgment.status_code == 404, foreign_judgment.text
    assert judged.status_code == 200, judged.text

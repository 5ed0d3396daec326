"""The outbound webhooks as the OpenAPI document promises them: every event type the service
sends has its entry, and the bodies really sent over HTTP validate against its schema and verify
with the document's own Python example."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from standardwebhooks import Webhook

from accident_online.auth.service import principal_for_user
from accident_online.cases.determination_rules import limits_from
from accident_online.claims.service import announce_overdue_claims
from accident_online.determinations.confirmations import expire_unconfirmed
from accident_online.kit.time import utc_now
from accident_online.models.user import UserRole
from accident_online.webhooks.subscriptions import SUBSCRIPTIONS
from accident_online.webhooks.worker import DeliveryWorker, WorkerSettings
from accident_online_testing.road import confirm_every_party, deliver_to_every_party

DOCUMENT_URI = "urn:accident-online:openapi"
DECISION = {
    "liabilities": [{"party": 0, "grade": "primary"}, {"party": 1, "grade": "secondary"}],
    "facts": "甲车未按规定让行，与乙车发生刮擦，两车受损，无人受伤。",
    "legal_basis": "《道路交通安全法》第三十八条；《道路交通事故处理程序规定》第六十条",
}


def validator_for(document: dict[str, Any], ref: str) -> Draft202012Validator:
    """A validator for one schema of the document, its references resolved in the document."""
    registry: Registry = Registry().with_resource(
        DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator({"$ref": f"{DOCUMENT_URI}{ref}"}, registry=registry)


def resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return dict(node)


def undeclared_fields(document: dict[str, Any], ref: str, value: dict[str, Any]) -> list[str]:
    """Top-level and `data` fields of a body that its schema does not name."""
    schema = resolve(document, ref)
    extra = [key for key in value if key not in schema["properties"]]
    data = resolve(document, schema["properties"]["data"]["$ref"])
    return extra + [f"data.{key}" for key in value["data"] if key not in data["properties"]]


async def test_every_event_type_the_service_sends_has_its_webhook(client) -> None:
    document = (await client.get("/openapi.json")).json()

    assert set(document["webhooks"]) == set(SUBSCRIPTIONS)
    for event_type, item in document["webhooks"].items():
        operation = item["post"]
        headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
        assert {name for name, p in headers.items() if p["required"]} == {
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
        }, event_type
        assert "{webhook-id}.{webhook-timestamp}.{body}" in operation["description"]
        assert "whsec_" in operation["description"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = resolve(document, ref)
        assert body["properties"]["type"]["const"] == event_type
        assert body["properties"]["data"]["$ref"].startswith("#/components/schemas/")
    union = document["components"]["schemas"]["OutboundEvent"]
    assert set(union["discriminator"]["mapping"]) == set(SUBSCRIPTIONS)
    payload = document["components"]["schemas"]["DeliveryDetail"]["properties"]["payload"]
    assert payload["$ref"] == "#/components/schemas/OutboundEvent"


def test_an_undeclared_field_would_be_caught() -> None:
    # The check the road below relies on, shown to fail: a body with a field the outbox
    # does not write today is reported.
    body = {
        "type": "case.reported",
        "timestamp": datetime.now(UTC).isoformat(),
        "data": {"case_id": str(uuid.uuid4()), "case_number": "LC1", "new": 1},
    }
    document = {
        "components": {
            "schemas": {
                "E": {"properties": {"type": {}, "timestamp": {}, "data": {"$ref": "#/d"}}},
            }
        },
        "d": {"properties": {"case_id": {}}},
    }
    missing = undeclared_fields(document, "#/components/schemas/E", body)
    assert "data.new" in missing
    assert "data.case_number" in missing


async def test_real_deliveries_of_every_type_match_the_document(
    client,
    database,
    session,
    receiver,
    make_partner,
    admin_headers,
    app_headers,
    queued_case,
    make_officer,
    upload_evidence,
    png,
    make_user,
    auth_headers,
    file_report,
    report_body,
    settings,
) -> None:
    created: list[httpx.Response] = []

    async def record(response: httpx.Response) -> None:
        if response.status_code == 201:
            created.append(response)

    client.event_hooks["response"].append(record)
    patched = await client.patch(
        "/v1/partners/app-lc", json={"webhook_url": f"{receiver.url}/app-lc"}, headers=admin_headers
    )
    assert patched.status_code == 200, patched.text
    rotated = await client.post("/v1/partners/app-lc/rotate-secret", headers=admin_headers)
    secrets = {"app-lc": rotated.json()["webhook_secret"]}
    for partner_id, kind, fields in (
        ("picc", "insurer", {"insurer_codes": ["PICC"]}),
        ("cpic", "insurer", {"insurer_codes": ["CPIC"]}),
        # 甲's commercial policy (the example report): it pays claim lines too.
        ("pingan", "insurer", {"insurer_codes": ["PINGAN"]}),
        ("mediation-lc", "mediation", {}),
        ("court-lc", "court", {}),
        ("appraisal-lc", "appraisal", {}),
        ("arbitration-lc", "arbitration", {}),
    ):
        made = await make_partner(
            partner_id, kind=kind, webhook_url=f"{receiver.url}/{partner_id}", **fields
        )
        secrets[partner_id] = made.webhook_secret
    officer = await make_officer("officer.hooks")

    async def act(method: str, path: str, version: int | None = None, **body: Any) -> Any:
        headers = officer.with_version(version) if version is not None else officer.headers
        answer = await client.request(method, path, json=body or None, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def answer(case_id: str, party: int, resolution: str) -> None:
        response = await client.post(
            f"/v1/cases/{case_id}/responses",
            json={"party": party, "resolution": resolution},
            headers=app_headers,
        )
        assert response.status_code == 200, response.text

    async def app_posts(path: str, status: int = 201, method: str = "POST", **body: Any) -> Any:
        response = await client.request(method, path, json=body, headers=app_headers)
        assert response.status_code == status, response.text
        return response.json()

    async def send(partner_id: str, case_id: str, type_: str, **data: Any) -> None:
        payload = json.dumps(
            {
                "type": type_,
                "timestamp": datetime.now(UTC).isoformat(),
                "data": {"case_id": case_id, **data},
            }
        )
        msg_id, now = f"evt_{uuid.uuid4().hex}", datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secrets[partner_id]).sign(msg_id, now, payload),
        }
        response = await client.post(f"/v1/webhooks/{partner_id}", content=payload, headers=headers)
        assert response.status_code == 200, response.text

    # Photos asked for again, decided, disputed → mediation, which fails → court → judgment.
    disputed = await queued_case()
    path = f"/v1/cases/{disputed['id']}"
    claimed = await act("POST", f"{path}/claim")
    await act(
        "POST",
        f"{path}/evidence-requests",
        claimed["version"],
        kinds=["collision_point"],
        message="碰撞部位照片模糊，请靠近重新拍摄。",
    )
    again = await upload_evidence(disputed["id"], "collision_point", content=png(4242))
    assert again.status_code == 201, again.text
    claimed = await act("POST", f"{path}/claim")
    await act("POST", f"{path}/decision", claimed["version"], **DECISION)
    await deliver_to_every_party(client, disputed, app_headers)
    await answer(disputed["id"], 1, "mediation")
    await send("mediation-lc", disputed["id"], "mediation.failed")
    await send("court-lc", disputed["id"], "judgment.issued")
    # Accepted by both parties.
    accepted = await queued_case()
    claimed = await act("POST", f"/v1/cases/{accepted['id']}/claim")
    await act("POST", f"/v1/cases/{accepted['id']}/decision", claimed["version"], **DECISION)
    await deliver_to_every_party(client, accepted, app_headers)
    await answer(accepted["id"], 0, "insurer_claim")
    await answer(accepted["id"], 1, "insurer_claim")
    # Its losses assessed: claims requested; then the loss disputed: withdrawn, appraised,
    # requested again, and left unpaid past the due date.
    await send("picc", accepted["id"], "claim.assessed", party=0, assessed_loss="3000.00")
    await send("cpic", accepted["id"], "claim.assessed", party=1, assessed_loss="5000.00")
    appraisal = await client.post(
        f"/v1/cases/{accepted['id']}/appraisals",
        json={
            "vehicles": [1],
            "question": "乙车维修费用",
            "consenting_parties": [0, 1],
            "appraiser": "appraisal-lc",
        },
        headers=app_headers,
    )
    assert appraisal.status_code == 201, appraisal.text
    await send(
        "appraisal-lc",
        accepted["id"],
        "appraisal.completed",
        appraisal_id=appraisal.json()["id"],
        party=1,
        assessed_loss="5600.00",
        report_number="聊鉴〔2026〕1号",
    )
    assert await announce_overdue_claims(session, now=utc_now() + timedelta(days=11)) > 0
    await session.commit()
    # Corrected, confirmed again, reviewed: revoked and determined anew.
    reviewed = await queued_case()
    path = f"/v1/cases/{reviewed['id']}"
    await app_posts(f"{path}/parties/1", 200, "PATCH", plate="鲁P54321")
    await confirm_every_party(client, reviewed, app_headers, [1])
    claimed = await act("POST", f"{path}/claim")
    await act("POST", f"{path}/decision", claimed["version"], **DECISION)
    await app_posts(f"{path}/review-requests", party=1, reason="乙方认为责任划分有误。")
    reviewer = await make_user("reviewer.hooks", role=UserRole.reviewer, center_id=None)
    version = (await client.get(path, headers=admin_headers)).json()["version"]
    revoked = await client.post(
        f"{path}/review",
        json={"outcome": "revoked", "reasons": "事实不清，责令重新认定。"},
        headers={**auth_headers(principal_for_user(reviewer)), "If-Match": f'"{version}"'},
    )
    assert revoked.status_code == 200, revoked.text
    claimed = await act("POST", f"{path}/claim")
    await act("POST", f"{path}/decision", claimed["version"], **DECISION)
    await deliver_to_every_party(client, reviewed, app_headers)
    # Arbitration, every party having agreed to it.
    arbitrated = await queued_case()
    claimed = await act("POST", f"/v1/cases/{arbitrated['id']}/claim")
    await act("POST", f"/v1/cases/{arbitrated['id']}/decision", claimed["version"], **DECISION)
    await deliver_to_every_party(client, arbitrated, app_headers)
    for party in (0, 1):
        agreed = await client.post(
            f"/v1/cases/{arbitrated['id']}/arbitration-agreements",
            json={"party": party, "signed_at": "2026-12-01T09:00:00+08:00"},
            headers=app_headers,
        )
        assert agreed.status_code == 201, agreed.text
    await answer(arbitrated["id"], 1, "arbitration")
    # A mediated agreement sent to the court for 司法确认.
    mediated = await queued_case()
    claimed = await act("POST", f"/v1/cases/{mediated['id']}/claim")
    await act("POST", f"/v1/cases/{mediated['id']}/decision", claimed["version"], **DECISION)
    await deliver_to_every_party(client, mediated, app_headers)
    await answer(mediated["id"], 1, "mediation")
    await send(
        "mediation-lc",
        mediated["id"],
        "mediation.agreed",
        amounts=[{"party": 1, "payer_party": 0, "amount": "1200.00"}],
    )
    confirmation = await client.post(
        f"/v1/cases/{mediated['id']}/confirmation-requests", headers=app_headers
    )
    assert confirmation.status_code == 201, confirmation.text
    # Never confirmed by 乙: expired by housekeeping.
    unconfirmed = (await file_report()).json()
    await confirm_every_party(client, unconfirmed, app_headers, [0])
    expiry = limits_from(settings).confirmation_expiry
    later = utc_now() + expiry + timedelta(minutes=1)
    assert await expire_unconfirmed(session, now=later, expiry=expiry) == 1
    await session.commit()
    # Reported late, and taken by the officer.
    hours = settings.report_max_age_hours + 6
    late = await queued_case(
        report_body(occurred_at=(datetime.now(UTC) - timedelta(hours=hours)).isoformat())
    )
    claimed = await act("POST", f"/v1/cases/{late['id']}/claim")
    await act("POST", f"/v1/cases/{late['id']}/late-report", claimed["version"], take=True)
    # Sent to be handled in person.
    referred = await queued_case()
    claimed = await act("POST", f"/v1/cases/{referred['id']}/claim")
    await act(
        "POST", f"/v1/cases/{referred['id']}/referral", claimed["version"], reason="需现场勘查。"
    )

    # Every 201 on the way names where its resource is read, and the creator can read it there.
    client.event_hooks["response"].remove(record)
    made = {
        f"{r.request.method} {r.request.url.path}".split("/v1/")[1].split("/")[-1] for r in created
    }
    assert {"reports", "evidence", "confirmations", "receipts", "review-requests"} <= made
    assert {"appraisals", "arbitration-agreements", "confirmation-requests"} <= made
    for response in created:
        where = response.headers.get("Location")
        assert where, (response.request.method, response.request.url)
        auth = {"Authorization": response.request.headers["authorization"]}
        read = await client.get(where, headers=auth)
        assert read.status_code == 200, (response.request.url, where, read.text)

    worker = DeliveryWorker(
        database,
        WorkerSettings(retry_schedule=[0.05], timeout_seconds=2, allow_private_targets=True),
    )
    while await worker.run_once():
        pass

    document = (await client.get("/openapi.json")).json()
    # The verification example exactly as the document gives it to partners.
    description = document["webhooks"]["case.reported"]["post"]["description"]
    example = re.search(r"```python\n(.*?)```", description, re.DOTALL)
    assert example is not None
    namespace: dict[str, Any] = {}
    exec(example.group(1), namespace)  # noqa: S102 - the document's own sample code
    verify = namespace["verify"]

    seen: set[str] = set()
    for hook in receiver.received:
        partner_id = hook.path.rsplit("/", 1)[-1]
        assert verify(secrets[partner_id], hook.headers, hook.body), hook.headers
        assert not verify(
            secrets["picc" if partner_id != "picc" else "app-lc"], hook.headers, hook.body
        )
        body = json.loads(hook.body)
        entry = document["webhooks"][body["type"]]["post"]
        ref = entry["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        errors = [e.message for e in validator_for(document, ref).iter_errors(body)]
        assert errors == [], (body["type"], errors, body)
        assert undeclared_fields(document, ref, body) == [], body
        seen.add(body["type"])
    assert seen == set(SUBSCRIPTIONS)

    # GET /v1/deliveries/{id}: the payload is the body sent, as the document declares it.
    listed = await client.get("/v1/deliveries", params={"limit": 200}, headers=admin_headers)
    detail_validator = validator_for(document, "#/components/schemas/DeliveryDetail")
    for item in listed.json()["items"]:
        detail = await client.get(f"/v1/deliveries/{item['id']}", headers=admin_headers)
        assert detail.status_code == 200, detail.text
        errors = [e.message for e in detail_validator.iter_errors(detail.json())]
        assert errors == [], errors

"""Every timeline event type has its `data` model (cases/timeline_events.py), the events
really stored hold exactly what their model declares, and the OpenAPI document types each
event's `data` by its `type` as the API answers it."""

from __future__ import annotations

import ast
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlmodel import select
from standardwebhooks import Webhook

from accident_online.cases import timeline_events
from accident_online.cases.timeline_events import TIMELINE_EVENTS
from accident_online.centers.routing import RoutingReason
from accident_online.decisions.answers import apply_response_deadlines
from accident_online.decisions.schemas import Resolution
from accident_online.decisions.service import release_expired_leases
from accident_online.external_events.schemas import INBOUND_EVENTS
from accident_online.kit.time import utc_now
from accident_online.models.case import CaseEvent
from timeline_check import event_problems, undeclared

SOURCE = Path(timeline_events.__file__).resolve().parents[1]
DOCUMENT_URI = "urn:accident-online:openapi"
# The functions that write a timeline event, and the keyword that names its type.
WRITERS = {"append_event": "type", "next_event": "type", "transition": "event_type"}
# Writers whose type is not a literal: the types each may write.
DYNAMIC_TYPES = {
    "external_events/service.py": {
        model.model_fields["type"].annotation for model in INBOUND_EVENTS
    }
}
# The types this test's flows write: every type of this version (others test their own).
FLOW_TYPES = {
    "case.reported", "case.routed", "evidence.added", "case.queued", "case.claimed",
    "case.claim_renewed", "case.released", "case.claim_expired", "case.evidence_requested",
    "case.referred_offline", "case.decided", "case.response", "case.response_deadline_passed",
    "case.accepted", "case.disputed", "case.mediation_requested", "case.litigation_requested",
    "case.closed", "claim.opened", "claim.assessed", "claim.paid", "mediation.agreed",
    "mediation.failed", "lawsuit.filed", "judgment.issued",
}  # fmt: skip
DECISION = {
    "liabilities": [{"party": 0, "grade": "primary"}, {"party": 1, "grade": "secondary"}],
    "facts": "甲车未按规定让行，与乙车发生刮擦，两车受损。",
    "legal_basis": "《道路交通安全法》第三十八条；《道路交通事故处理程序规定》第六十条",
}


def emitted_types() -> tuple[dict[str, list[str]], list[str]]:
    """Every event type the source writes (type → where), and the writes whose type it
    cannot read (where)."""
    found: dict[str, list[str]] = {}
    unread: list[str] = []
    for path in sorted(SOURCE.rglob("*.py")):
        module = str(path.relative_to(SOURCE))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # The writers pass their caller's type on: what they are called with counts.
        forwarding = [
            range(node.lineno, (node.end_lineno or node.lineno) + 1)
            for node in ast.walk(tree)
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and node.name in WRITERS
        ]
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or any(node.lineno in body for body in forwarding):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name not in WRITERS:
                continue
            where = f"{module}:{node.lineno}"
            given = [k.value for k in node.keywords if k.arg == WRITERS[name]]
            if not given and name == "transition" and len(node.args) >= 3:
                # cases.service.transition's default: "case.<target status>".
                target = node.args[2]
                if isinstance(target, ast.Attribute):
                    found.setdefault(f"case.{target.attr}", []).append(where)
                    continue
            if not given:
                continue
            literals = [
                n.value
                for n in ast.walk(given[0])
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            ]
            if literals:
                for literal in literals:
                    found.setdefault(literal, []).append(where)
            elif module in DYNAMIC_TYPES:
                for literal_type in DYNAMIC_TYPES[module]:
                    for event_type in get_args(literal_type):
                        found.setdefault(event_type, []).append(where)
            else:
                unread.append(where)
    return found, unread


def test_every_event_type_the_code_writes_has_a_data_model() -> None:
    found, unread = emitted_types()
    missing = {t: where for t, where in found.items() if t not in TIMELINE_EVENTS}

    assert unread == [], (
        "timeline events written with a type this test cannot read; name the types in "
        f"DYNAMIC_TYPES: {unread}"
    )
    assert missing == {}, (
        "timeline event types with no data model: add a model and a line to "
        f"TIMELINE_EVENTS in src/accident_online/cases/timeline_events.py: {missing}"
    )
    assert set(TIMELINE_EVENTS) - set(found) == set(), "a model for a type nothing writes"
    assert len(found) > 20  # the scan reaches the writers


def test_the_spelled_out_enums_match_their_packages() -> None:
    assert set(get_args(timeline_events.Resolution)) == {r.value for r in Resolution}
    assert set(get_args(timeline_events.RoutingReason)) == {r.value for r in RoutingReason}


def test_an_undeclared_key_would_be_caught() -> None:
    data = {"from": "queued", "to": "under_review", "officer_id": str(uuid.uuid4()), "new": 1}
    model = TIMELINE_EVENTS["case.claimed"]

    assert undeclared(model, {**data, "claim_expires_at": "2026-12-01T10:00:00+08:00"}) == [
        "data.new"
    ]
    with_kinds = {"from": "a", "to": "b", "message": "", "kinds": [{"kind": "plate", "x": 1}]}
    assert undeclared(TIMELINE_EVENTS["case.evidence_requested"], with_kinds) == ["data.kinds[].x"]


class Partners:
    """Partners that sign what they send, as the document's Standard Webhooks say."""

    def __init__(self, client: Any, secrets: dict[str, str]) -> None:
        self.client, self.secrets = client, secrets

    async def send(self, partner_id: str, case_id: str, type_: str, **data: Any) -> None:
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
            "webhook-signature": Webhook(self.secrets[partner_id]).sign(msg_id, now, payload),
        }
        response = await self.client.post(
            f"/v1/webhooks/{partner_id}", content=payload.encode(), headers=headers
        )
        assert response.status_code == 200, response.text


async def test_every_stored_event_holds_what_its_model_and_the_document_say(
    client,
    session,
    admin_headers,
    app_headers,
    make_partner,
    queued_case,
    make_officer,
    upload_evidence,
    png,
) -> None:
    secrets = {
        "picc": (await make_partner("picc", kind="insurer", insurer_codes=["PICC"])).webhook_secret,
        "cpic": (await make_partner("cpic", kind="insurer", insurer_codes=["CPIC"])).webhook_secret,
        "mediation-lc": (await make_partner("mediation-lc", kind="mediation")).webhook_secret,
        "court-lc": (await make_partner("court-lc", kind="court")).webhook_secret,
    }
    partners = Partners(client, secrets)
    officer = await make_officer("officer.timeline")

    async def act(path: str, version: int | None = None, **body: Any) -> dict[str, Any]:
        headers = officer.with_version(version) if version is not None else officer.headers
        answer = await client.post(path, json=body or None, headers=headers)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def answer(case_id: str, party: int, accepts: bool, resolution: str) -> None:
        response = await client.post(
            f"/v1/cases/{case_id}/responses",
            json={"party": party, "accepts": accepts, "resolution": resolution},
            headers=app_headers,
        )
        assert response.status_code == 200, response.text

    async def decided() -> str:
        case = await queued_case()
        claimed = await act(f"/v1/cases/{case['id']}/claim")
        await act(f"/v1/cases/{case['id']}/decision", claimed["version"], **DECISION)
        return str(case["id"])

    # Claimed, renewed, photos asked for, released, claimed and left to expire.
    case = await queued_case()
    path = f"/v1/cases/{case['id']}"
    await act(f"{path}/claim")
    claimed = await act(f"{path}/claim")
    await act(
        f"{path}/evidence-requests",
        claimed["version"],
        kinds=["collision_point"],
        message="碰撞部位照片模糊，请靠近重新拍摄。",
    )
    again = await upload_evidence(case["id"], "collision_point", content=png(4242))
    assert again.json()["status"] == "queued", again.text
    claimed = await act(f"{path}/claim")
    await act(f"{path}/release", claimed["version"])
    await act(f"{path}/claim")
    assert await release_expired_leases(session, now=utc_now() + timedelta(hours=2)) >= 1
    await session.commit()
    # Referred to be handled in person.
    referred = await queued_case()
    claimed = await act(f"/v1/cases/{referred['id']}/claim")
    await act(f"/v1/cases/{referred['id']}/referral", claimed["version"], reason="需现场勘查。")
    # Accepted (one party by silence), claims opened, assessed twice, paid → closed.
    accepted = await decided()
    await answer(accepted, 0, True, "insurer_claim")
    assert await apply_response_deadlines(session, now=utc_now() + timedelta(days=30)) >= 1
    await session.commit()
    await partners.send("picc", accepted, "claim.opened", party=0, claim_number="PICC-1")
    for partner_id, party, loss in (("picc", 0, "3000"), ("cpic", 1, "5000"), ("cpic", 1, "5100")):
        await partners.send(partner_id, accepted, "claim.assessed", party=party, assessed_loss=loss)
    settlement = await client.get(f"/v1/cases/{accepted}/settlement", headers=app_headers)
    # One payment to each party closes the case (the first insurer line paying it).
    lines = [
        line for line in settlement.json()["settlement"]["lines"] if "insurer:" in line["payer"]
    ]
    payments = {line["payee_party"]: line for line in reversed(lines)}
    for party, line in sorted(payments.items()):
        partner_id = line["payer"].removeprefix("insurer:").lower()
        await partners.send(partner_id, accepted, "claim.paid", party=party, amount=line["amount"])
    # Disputed → mediation, which agrees; disputed → mediation, which fails → court.
    agreed = await decided()
    await answer(agreed, 1, False, "mediation")
    await partners.send("mediation-lc", agreed, "mediation.agreed", agreement="乙方赔偿 800 元。")
    failed = await decided()
    await answer(failed, 1, False, "mediation")
    await partners.send("mediation-lc", failed, "mediation.failed", reason="双方未达成一致。")
    await partners.send("court-lc", failed, "lawsuit.filed", docket_number="(2026)鲁1502民初1号")
    await partners.send("court-lc", failed, "judgment.issued", summary="乙方赔偿甲方 900 元。")

    stored = (await session.exec(select(CaseEvent))).all()
    problems = [p for event in stored for p in event_problems(event.type, event.data)]
    assert problems == [], "\n".join(problems)
    assert {event.type for event in stored} >= FLOW_TYPES

    # As the API answers them, against the document's CaseEventRead.
    document = (await client.get("/openapi.json")).json()
    registry: Registry = Registry().with_resource(
        DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    validator = Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#/components/schemas/CaseEventRead"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    for case_id in {str(event.case_id) for event in stored}:
        listed = await client.get(
            f"/v1/cases/{case_id}/events", params={"limit": 200}, headers=admin_headers
        )
        for item in listed.json()["items"]:
            errors = [e.message for e in validator.iter_errors(item)]
            assert errors == [], (item, errors)


async def test_the_document_types_each_events_data_by_its_type(client) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    union = schemas["CaseEventRead"]

    assert union["discriminator"]["propertyName"] == "type"
    assert set(union["discriminator"]["mapping"]) == set(TIMELINE_EVENTS)
    for event_type, ref in union["discriminator"]["mapping"].items():
        entry = schemas[ref.rsplit("/", 1)[-1]]
        assert entry["properties"]["type"]["const"] == event_type
        data = schemas[entry["properties"]["data"]["$ref"].rsplit("/", 1)[-1]]
        assert data["title"] == TIMELINE_EVENTS[event_type].__name__

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

from accident_online.auth.service import principal_for_user
from accident_online.cases import timeline_disputes, timeline_events
from accident_online.cases.determination_rules import FinalBecause, limits_from
from accident_online.cases.timeline_events import TIMELINE_EVENTS
from accident_online.centers.routing import RoutingReason
from accident_online.decisions.leases import release_expired_leases
from accident_online.decisions.schemas import Resolution
from accident_online.determinations.confirmations import expire_unconfirmed
from accident_online.determinations.delivery import lapse_review_windows
from accident_online.determinations.schemas import PartyCorrection
from accident_online.disputes.stage import COMPENSATION_PATHS
from accident_online.external_events.schemas import INBOUND_EVENTS
from accident_online.kit.time import utc_now
from accident_online.models.case import CaseEvent
from accident_online.models.user import UserRole
from accident_online.reviews.schemas import ReviewOutcome
from accident_online_testing.road import deliver_to_every_party
from timeline_check import event_problems, undeclared

SOURCE = Path(timeline_events.__file__).resolve().parents[1]
DOCUMENT_URI = "urn:accident-online:openapi"
# The functions that write a timeline event, and the keyword that names its type.
WRITERS = {"append_event": "type", "next_event": "type", "transition": "event_type"}
# Writers whose type is not a literal: the types each may write.
DYNAMIC_TYPES: dict[str, set[str]] = {
    "external_events/service.py": {
        event_type
        for model in INBOUND_EVENTS
        for event_type in get_args(model.model_fields["type"].annotation)
    },
    "external_events/disputes.py": {
        event_type
        for model in INBOUND_EVENTS
        for event_type in get_args(model.model_fields["type"].annotation)
    },
    "disputes/stage.py": {path.event_type for path in COMPENSATION_PATHS.values()},
}
# The types this test's flows write: every type of this version (others test their own).
FLOW_TYPES = {
    "case.reported", "case.routed", "evidence.added", "case.confirmed", "case.corrected",
    "case.reconfirmation_requested", "case.expired", "case.queued", "case.claimed",
    "case.claim_renewed", "case.released", "case.claim_expired", "case.evidence_requested",
    "case.referred_offline", "case.late_report_taken", "case.decided", "case.delivered",
    "case.review_requested", "case.review_decided", "case.decision_revoked",
    "case.decision_final", "case.response", "case.accepted", "case.disputed",
    "case.mediation_requested", "case.litigation_requested", "case.closed", "claim.opened",
    "claim.assessed", "claim.paid", "mediation.agreed", "mediation.failed", "lawsuit.filed",
    "judgment.issued",
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
                for event_type in DYNAMIC_TYPES[module]:
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
    assert set(get_args(timeline_disputes.Resolution)) == {r.value for r in Resolution}
    assert set(get_args(timeline_events.RoutingReason)) == {r.value for r in RoutingReason}
    assert set(get_args(timeline_events.ReviewOutcome)) == {o.value for o in ReviewOutcome}
    assert set(get_args(timeline_events.CorrectedField)) == set(PartyCorrection.model_fields)
    assert set(get_args(FinalBecause)) < set(get_args(timeline_events.FinalReason))


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
    settings,
    admin_headers,
    app_headers,
    auth_headers,
    make_user,
    make_partner,
    file_report,
    report_body,
    confirm_parties,
    queued_case,
    make_officer,
    upload_evidence,
    png,
) -> None:
    secrets = {
        partner_id: (await make_partner(partner_id, kind=kind, **fields)).webhook_secret
        for partner_id, kind, fields in (
            ("picc", "insurer", {"insurer_codes": ["PICC"]}),
            ("cpic", "insurer", {"insurer_codes": ["CPIC"]}),
            ("pingan", "insurer", {"insurer_codes": ["PINGAN"]}),
            ("mediation-lc", "mediation", {}),
            ("court-lc", "court", {}),
        )
    }
    partners = Partners(client, secrets)
    officer = await make_officer("officer.timeline")
    reviewer = auth_headers(
        principal_for_user(await make_user("reviewer.city", role=UserRole.reviewer, center_id=None))
    )
    window = limits_from(settings).review_window

    async def act(
        path: str, version: int | None = None, headers: dict[str, str] | None = None, **body: Any
    ) -> dict[str, Any]:
        if headers is None:
            headers = officer.with_version(version) if version is not None else officer.headers
        answer = await client.post(path, json=body or None, headers=headers)
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())

    async def choose(case_id: str, party: int, resolution: str) -> str:
        return str(
            (
                await act(
                    f"/v1/cases/{case_id}/responses",
                    headers=app_headers,
                    party=party,
                    resolution=resolution,
                )
            )["status"]
        )

    async def decided(body: dict[str, Any] | None = None, *, late: bool = False) -> str:
        case = await queued_case(body)
        claimed = await act(f"/v1/cases/{case['id']}/claim")
        if late:
            claimed = await act(
                f"/v1/cases/{case['id']}/late-report", claimed["version"], take=True
            )
        await act(f"/v1/cases/{case['id']}/decision", claimed["version"], **DECISION)
        return str(case["id"])

    async def deliver(case_id: str, **options: Any) -> str:
        answer = await deliver_to_every_party(
            client, {"id": case_id, "parties": [0, 1]}, app_headers, **options
        )
        return str(answer.json()["status"])

    async def review(case_id: str, outcome: str) -> str:
        requested = await act(
            f"/v1/cases/{case_id}/review-requests",
            headers=app_headers,
            party=1,
            reason="乙方认为甲车已让行，责任划分有误。",
        )
        assert requested["status"] == "review_requested"
        record = await client.get(f"/v1/cases/{case_id}", headers=reviewer)
        return str(
            (
                await act(
                    f"/v1/cases/{case_id}/review",
                    headers={**reviewer, "If-Match": record.headers["etag"]},
                    outcome=outcome,
                    reasons="经复核，事实清楚，证据确实充分。",
                )
            )["status"]
        )

    # One party never confirms: expired by housekeeping.
    unconfirmed = (await file_report()).json()
    await confirm_parties(unconfirmed, [0])
    limits = limits_from(settings)
    expiry_now = utc_now() + limits.confirmation_expiry + timedelta(minutes=1)
    assert await expire_unconfirmed(session, now=expiry_now, expiry=limits.confirmation_expiry) == 1
    await session.commit()
    # Corrected once queued: that party confirms again, and the case is queued again.
    corrected = await queued_case()
    patched = await client.patch(
        f"/v1/cases/{corrected['id']}/parties/1",
        json={"plate": "鲁P54321", "phone": "13905350009", "licence_number": "370102199001011234"},
        headers=app_headers,
    )
    assert patched.json()["status"] == "awaiting_evidence", patched.text
    assert (await confirm_parties(corrected, [1])).json()["status"] == "queued"
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
    # The parties' agreement confirmed (final at once), both claim from insurers → closed.
    agreement = await decided(report_body(agreed_liability=DECISION["liabilities"]))
    assert await deliver(agreement, no_objection=False) == "final"
    await choose(agreement, 0, "insurer_claim")
    assert await choose(agreement, 1, "insurer_claim") == "accepted"
    await partners.send("picc", agreement, "claim.opened", party=0, claim_number="PICC-1")
    for partner_id, party, loss in (("picc", 0, "3000"), ("cpic", 1, "5000")):
        await partners.send(
            partner_id, agreement, "claim.assessed", party=party, assessed_loss=loss
        )
    # Every loss assessed: the claim lines are requested at once; paying each closes the case.
    claims = await client.get("/v1/claims", params={"limit": 200}, headers=admin_headers)
    assert claims.status_code == 200, claims.text
    for line in claims.json()["items"]:
        if line["case_id"] == agreement and line["status"] == "open":
            await partners.send(
                line["insurer"], agreement, "claim.paid", party=line["party"], amount=line["amount"]
            )
    # Delivered, both windows lapse (housekeeping) → final; mediation, which agrees.
    lapsed = await decided()
    assert await deliver(lapsed, no_objection=False) == "decided"
    later = utc_now() + window + timedelta(minutes=1)
    assert await lapse_review_windows(session, now=later, review_window=window) == 1
    await session.commit()
    assert await choose(lapsed, 1, "mediation") == "in_mediation"
    await partners.send("mediation-lc", lapsed, "mediation.agreed", agreement="乙方赔偿 800 元。")
    # No objection on receipt → final; mediation fails → court.
    failed = await decided()
    assert await deliver(failed) == "final"
    assert await choose(failed, 1, "mediation") == "in_mediation"
    await partners.send("mediation-lc", failed, "mediation.failed", reason="双方未达成一致。")
    await partners.send("court-lc", failed, "lawsuit.filed", docket_number="(2026)鲁1502民初1号")
    await partners.send("court-lc", failed, "judgment.issued", summary="乙方赔偿甲方 900 元。")
    # A late report taken; reviewed and upheld → final; a party goes to court.
    hours = settings.report_max_age_hours + 6
    late_body = report_body(occurred_at=(datetime.now(UTC) - timedelta(hours=hours)).isoformat())
    upheld = await decided(late_body, late=True)
    assert await deliver(upheld, no_objection=False) == "decided"
    assert await review(upheld, "upheld") == "final"
    assert await choose(upheld, 0, "litigation") == "in_litigation"
    # Reviewed and revoked → queued, determined again, delivered → final.
    revoked = await decided()
    assert await deliver(revoked, no_objection=False, parties=[1]) == "decided"
    assert await review(revoked, "revoked") == "queued"
    claimed = await act(f"/v1/cases/{revoked}/claim")
    await act(f"/v1/cases/{revoked}/decision", claimed["version"], **DECISION)
    assert await deliver(revoked) == "final"

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

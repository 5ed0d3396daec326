"""Every route of the app against every kind of caller (OWASP API1 and API5).

The routes are read from the app itself: a new route without a row here fails
`test_every_route_is_in_the_matrix`. Each call runs inside a savepoint that is rolled
back, so every caller meets the same world.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts

from accident_online.auth.principal import Principal
from accident_online.auth.service import principal_for_user
from accident_online.models.user import Role, UserRole
from accident_online_testing.road import confirm_every_party, deliver_to_every_party

CALLERS = [
    "anonymous",
    "admin",
    "officer_of_center",
    "officer_elsewhere",
    "filing_app",
    "other_app",
    "party_insurer",
    "other_insurer",
    "mediation",
    "court",
    "reviewer",
]
PARTNERS = {"filing_app", "other_app", "party_insurer", "other_insurer", "mediation", "court"}
OFFICERS = {"officer_of_center", "officer_elsewhere"}
SIGNED_IN = [c for c in CALLERS if c != "anonymous"]
# Who may read a case filed by filing_app whose party 0 is insured by party_insurer.
CASE_READERS = {"admin", "officer_of_center", "filing_app", "party_insurer"}

DECISION = {
    "liabilities": [{"party": 0, "grade": "none"}, {"party": 1, "grade": "full"}],
    "facts": "乙车变更车道时与甲车刮擦，双方车辆可以移动。",
    "legal_basis": "《道路交通事故处理程序规定》第六十条",
}


def expect(default: int, **per_caller: int) -> dict[str, int]:
    statuses = dict.fromkeys(CALLERS, default)
    statuses["anonymous"] = per_caller.pop("anonymous", 401)
    statuses.update(per_caller)
    return statuses


def only(
    allowed: set[str],
    status: int,
    *,
    otherwise: int = 403,
    hidden: int | None = None,
    hidden_from: set[str] | None = None,
) -> dict[str, int]:
    """``allowed`` get ``status``; ``hidden_from`` (the right role, another case) get 404."""
    statuses = expect(otherwise)
    for caller in allowed:
        statuses[caller] = status
    for caller in hidden_from or set():
        statuses[caller] = hidden or 404
    return statuses


def case_reader(status: int = 200) -> dict[str, int]:
    return only(CASE_READERS, status, otherwise=404)


@dataclass
class Call:
    method: str
    path: str
    expected: dict[str, int]
    json: Any = None
    data: dict[str, str] | None = None
    files: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    if_match: str | None = None  # the id of the case whose current version goes in If-Match


def matrix(w: dict[str, Any]) -> dict[tuple[str, str], Call]:
    q, held, decided = w["queued"], w["held"], w["decided"]
    filed, final, in_review = w["filed"], w["final"], w["in_review"]
    reviewer_and_readers = CASE_READERS | {"reviewer"}
    everyone = expect(200, anonymous=200)
    return {
        ("GET", "/openapi.json"): Call("GET", "/openapi.json", everyone),
        ("GET", "/docs"): Call("GET", "/docs", everyone),
        ("GET", "/docs/oauth2-redirect"): Call("GET", "/docs/oauth2-redirect", everyone),
        ("GET", "/redoc"): Call("GET", "/redoc", everyone),
        ("GET", "/docs/assets/favicon.svg"): Call("GET", "/docs/assets/favicon.svg", everyone),
        ("GET", "/healthz"): Call("GET", "/healthz", everyone),
        ("GET", "/readyz"): Call("GET", "/readyz", everyone),
        ("GET", "/metrics"): Call("GET", "/metrics", everyone),
        ("POST", "/v1/auth/token"): Call(
            "POST",
            "/v1/auth/token",
            everyone,
            data={
                "grant_type": "client_credentials",
                "client_id": "filing-app",
                "client_secret": w["filing_secret"],
            },
        ),
        ("POST", "/v1/admin/users"): Call(
            "POST",
            "/v1/admin/users",
            only({"admin"}, 201),
            json={
                "username": "new.officer",
                "password": "a-long-password",
                "role": "officer",
                "center_id": "zones",
            },
        ),
        ("GET", "/v1/admin/users"): Call("GET", "/v1/admin/users", only({"admin"}, 200)),
        ("GET", "/v1/admin/users/{username}"): Call(
            "GET", "/v1/admin/users/spare.officer", only({"admin"}, 200)
        ),
        ("POST", "/v1/partners"): Call(
            "POST",
            "/v1/partners",
            only({"admin"}, 201),
            json={"id": "new-app", "kind": "app", "name": "N"},
        ),
        ("GET", "/v1/partners"): Call("GET", "/v1/partners", only({"admin"}, 200)),
        ("GET", "/v1/partners/{partner_id}"): Call(
            "GET", "/v1/partners/filing-app", only({"admin"}, 200)
        ),
        ("PATCH", "/v1/partners/{partner_id}"): Call(
            "PATCH", "/v1/partners/filing-app", only({"admin"}, 200), json={"name": "Renamed"}
        ),
        ("POST", "/v1/partners/{partner_id}/rotate-secret"): Call(
            "POST", "/v1/partners/filing-app/rotate-secret", only({"admin"}, 200)
        ),
        ("POST", "/v1/partners/{partner_id}/rotate-client-secret"): Call(
            "POST", "/v1/partners/spare-app/rotate-client-secret", only({"admin"}, 200)
        ),
        ("POST", "/v1/partners/{partner_id}/disable"): Call(
            "POST", "/v1/partners/spare-app/disable", only({"admin"}, 200)
        ),
        ("POST", "/v1/partners/{partner_id}/enable"): Call(
            "POST", "/v1/partners/spare-app/enable", only({"admin"}, 200)
        ),
        ("POST", "/v1/admin/users/{username}/disable"): Call(
            "POST", "/v1/admin/users/spare.officer/disable", only({"admin"}, 200)
        ),
        ("POST", "/v1/admin/users/{username}/enable"): Call(
            "POST", "/v1/admin/users/spare.officer/enable", only({"admin"}, 200)
        ),
        ("POST", "/v1/eligibility"): Call(
            "POST", "/v1/eligibility", only({"filing_app", "other_app"}, 200), json=w["report"]
        ),
        ("POST", "/v1/reports"): Call(
            "POST",
            "/v1/reports",
            only({"filing_app", "other_app"}, 201),
            json=w["report"],
            headers={"Idempotency-Key": "matrix"},
        ),
        ("GET", "/v1/cases"): Call("GET", "/v1/cases", expect(200)),
        ("GET", "/v1/cases/{case_id}"): Call("GET", f"/v1/cases/{q}", case_reader()),
        ("GET", "/v1/cases/{case_id}/events"): Call("GET", f"/v1/cases/{q}/events", case_reader()),
        ("POST", "/v1/cases/{case_id}/evidence"): Call(
            "POST",
            f"/v1/cases/{q}/evidence",
            only({"filing_app"}, 201, hidden_from={"other_app"}),
            data={"kind": "damage", "party": "0"},
            files={"file": ("d.png", w["png"], "image/png")},
        ),
        ("GET", "/v1/cases/{case_id}/evidence/{evidence_id}/content"): Call(
            "GET", f"/v1/cases/{q}/evidence/{w['evidence']}/content", case_reader()
        ),
        ("GET", "/v1/cases/{case_id}/evidence/sheet"): Call(
            "GET", f"/v1/cases/{q}/evidence/sheet", case_reader()
        ),
        # A signed link is its own proof: any token is ignored, and without the link's
        # signature everyone alike is refused.
        ("GET", "/v1/cases/{case_id}/evidence/{evidence_id}/view"): Call(
            "GET", f"/v1/cases/{q}/evidence/{w['evidence']}/view", expect(403, anonymous=403)
        ),
        ("GET", "/v1/centers"): Call("GET", "/v1/centers", expect(200)),
        ("PATCH", "/v1/centers/{center_id}"): Call(
            "PATCH", "/v1/centers/zones", only({"admin"}, 200), json={"capacity": 10}
        ),
        ("GET", "/v1/centers/{center_id}/queue"): Call(
            "GET", "/v1/centers/dongchangfu/queue", only({"admin", "officer_of_center"}, 200)
        ),
        ("POST", "/v1/centers/{center_id}/queue/next"): Call(
            "POST", "/v1/centers/dongchangfu/queue/next", only({"officer_of_center"}, 200)
        ),
        ("POST", "/v1/cases/{case_id}/claim"): Call(
            "POST",
            f"/v1/cases/{q}/claim",
            only({"officer_of_center"}, 200, hidden_from={"officer_elsewhere"}),
        ),
        ("POST", "/v1/cases/{case_id}/release"): Call(
            "POST",
            f"/v1/cases/{held}/release",
            only({"officer_of_center"}, 200, hidden_from={"officer_elsewhere"}),
            if_match=held,
        ),
        ("POST", "/v1/cases/{case_id}/evidence-requests"): Call(
            "POST",
            f"/v1/cases/{held}/evidence-requests",
            only({"officer_of_center"}, 200, hidden_from={"officer_elsewhere"}),
            json={"kinds": ["collision_point"], "message": "请重拍碰撞部位"},
            if_match=held,
        ),
        ("POST", "/v1/cases/{case_id}/referral"): Call(
            "POST",
            f"/v1/cases/{held}/referral",
            only({"officer_of_center"}, 200, hidden_from={"officer_elsewhere"}),
            json={"reason": "需现场处理"},
            if_match=held,
        ),
        # The held case was reported in time: its officer gets 409 not-a-late-report (the
        # late flow is tests/decisions/test_late_reports.py); who may ask is what counts here.
        ("POST", "/v1/cases/{case_id}/late-report"): Call(
            "POST",
            f"/v1/cases/{held}/late-report",
            only({"officer_of_center"}, 409, hidden_from={"officer_elsewhere"}),
            json={"take": True},
            if_match=held,
        ),
        ("POST", "/v1/cases/{case_id}/decision"): Call(
            "POST",
            f"/v1/cases/{held}/decision",
            only({"officer_of_center"}, 200, hidden_from={"officer_elsewhere"}),
            json=DECISION,
            if_match=held,
        ),
        ("POST", "/v1/cases/{case_id}/responses"): Call(
            "POST",
            f"/v1/cases/{final}/responses",
            only({"filing_app"}, 200, hidden_from={"other_app"}),
            json={"party": 0, "resolution": "insurer_claim"},
        ),
        ("POST", "/v1/cases/{case_id}/confirmations"): Call(
            "POST",
            f"/v1/cases/{filed}/confirmations",
            only({"filing_app"}, 201, hidden_from={"other_app"}),
            json={"party": 1, "method": "sms_code", "confirmed_at": "2026-11-28T08:19:30+08:00"},
        ),
        ("PATCH", "/v1/cases/{case_id}/parties/{party}"): Call(
            "PATCH",
            f"/v1/cases/{filed}/parties/1",
            only({"filing_app"}, 200, hidden_from={"other_app"}),
            json={"phone": "13905350009"},
        ),
        ("POST", "/v1/cases/{case_id}/receipts"): Call(
            "POST",
            f"/v1/cases/{decided}/receipts",
            only({"filing_app"}, 201, hidden_from={"other_app"}),
            json={"party": 0, "received_at": w["now"], "signed": True},
        ),
        ("POST", "/v1/cases/{case_id}/review-requests"): Call(
            "POST",
            f"/v1/cases/{decided}/review-requests",
            only({"filing_app"}, 201, hidden_from={"other_app"}),
            json={"party": 1, "reason": "乙方认为责任划分有误。"},
        ),
        ("GET", "/v1/reviews"): Call("GET", "/v1/reviews", only({"admin", "reviewer"}, 200)),
        ("POST", "/v1/cases/{case_id}/review"): Call(
            "POST",
            f"/v1/cases/{in_review}/review",
            only({"reviewer"}, 200),
            json={"outcome": "upheld", "reasons": "事实清楚，证据充分。"},
            if_match=in_review,
        ),
        # The case in review has no revoked decision: every reader gets as far as 409.
        ("GET", "/v1/cases/{case_id}/revoked-decisions/{number}/document"): Call(
            "GET",
            f"/v1/cases/{in_review}/revoked-decisions/0/document",
            only(reviewer_and_readers, 409, otherwise=404),
        ),
        ("GET", "/v1/cases/{case_id}/decision/document"): Call(
            "GET", f"/v1/cases/{decided}/decision/document", case_reader()
        ),
        # Compensation disputes: the decided case is not yet in a dispute, so the right
        # caller meets the rule that comes first (an unknown appraiser, no agreement yet).
        ("POST", "/v1/cases/{case_id}/appraisals"): Call(
            "POST",
            f"/v1/cases/{decided}/appraisals",
            only({"filing_app"}, 422, hidden_from={"other_app", "mediation", "court"}),
            json={
                "vehicles": [1],
                "question": "乙车维修费用",
                "consenting_parties": [0, 1],
                "appraiser": "no-such-appraiser",
            },
        ),
        ("GET", "/v1/cases/{case_id}/appraisals"): Call(
            "GET", f"/v1/cases/{q}/appraisals", case_reader()
        ),
        ("POST", "/v1/cases/{case_id}/appraisals/{appraisal_id}/objections"): Call(
            "POST",
            f"/v1/cases/{decided}/appraisals/{uuid.UUID(int=1)}/objections",
            only({"filing_app"}, 404, hidden_from={"other_app"}),
            json={"party": 0, "reason": "鉴定结论有误"},
        ),
        ("POST", "/v1/cases/{case_id}/arbitration-agreements"): Call(
            "POST",
            f"/v1/cases/{decided}/arbitration-agreements",
            only({"filing_app"}, 201, hidden_from={"other_app"}),
            json={"party": 0, "signed_at": "2026-11-28T10:00:00+08:00"},
        ),
        ("POST", "/v1/cases/{case_id}/confirmation-requests"): Call(
            "POST",
            f"/v1/cases/{decided}/confirmation-requests",
            only({"filing_app"}, 409, hidden_from={"other_app", "mediation"}),
        ),
        ("GET", "/v1/claims"): Call("GET", "/v1/claims", only({"admin", "court"}, 200)),
        # An insurer not on the platform: the party paid attests (app) or an admin records.
        # The decided case has no claim lines yet, so who may ask gets as far as 404.
        ("POST", "/v1/cases/{case_id}/claims/{claim_id}/payments"): Call(
            "POST",
            f"/v1/cases/{decided}/claims/{uuid.UUID(int=1)}/payments",
            only({"admin", "filing_app"}, 404, hidden_from={"other_app"}),
            json={
                "party": 0,
                "amount": "600.00",
                "paid_at": w["now"],
                "reference": "CPIC-TRF-20261202-0001",
            },
        ),
        ("POST", "/v1/settlements/calculate"): Call(
            "POST",
            "/v1/settlements/calculate",
            expect(200),
            json={
                "liabilities": DECISION["liabilities"],
                "vehicles": [
                    {"party": 0, "loss": "800.00", "insurer": "PICC"},
                    {"party": 1, "loss": "1500.00", "insurer": "CPIC"},
                ],
            },
        ),
        ("GET", "/v1/cases/{case_id}/settlement"): Call(
            "GET", f"/v1/cases/{decided}/settlement", case_reader()
        ),
        ("GET", "/v1/stats"): Call("GET", "/v1/stats", only({"admin"} | OFFICERS, 200)),
        ("GET", "/v1/deliveries"): Call("GET", "/v1/deliveries", only({"admin"} | PARTNERS, 200)),
        ("GET", "/v1/deliveries/{message_id}"): Call(
            "GET",
            f"/v1/deliveries/{w['message']}",
            only({"admin", "party_insurer"}, 200, hidden_from=PARTNERS - {"party_insurer"}),
        ),
        ("POST", "/v1/deliveries/{message_id}/retry"): Call(
            "POST",
            f"/v1/deliveries/{w['message']}/retry",
            only({"admin", "party_insurer"}, 200, hidden_from=PARTNERS - {"party_insurer"}),
        ),
        # Partners authenticate inbound webhooks by signature, never by bearer token.
        ("POST", "/v1/webhooks/{partner_id}"): Call(
            "POST",
            "/v1/webhooks/party-insurer",
            expect(401),
            json={
                "type": "claim.opened",
                "timestamp": "2026-11-28T00:00:00Z",
                "data": {"case_id": q},
            },
        ),
    }


def app_routes(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    routes = set()
    for context in iter_route_contexts(app.routes):
        for method in context.methods or ():
            if method != "HEAD" and context.path_format:
                routes.add((method, context.path_format))
    return routes


@pytest.fixture
async def world(client, make_partner, make_user, auth_headers, report_body, png, upload_evidence):  # type: ignore[no-untyped-def]
    filing = await make_partner("filing-app", kind="app")
    await make_partner("other-app", kind="app")
    await make_partner("spare-app", kind="app")
    await make_user("spare.officer", center_id="linqing")
    admin = await make_user("matrix-admin", role=UserRole.admin)
    await make_partner(
        "party-insurer",
        kind="insurer",
        insurer_codes=["PICC"],
        webhook_url="http://127.0.0.1:9/hooks",
    )
    await make_partner("other-insurer", kind="insurer", insurer_codes=["XYZ"])
    await make_partner("mediation-lc", kind="mediation")
    await make_partner("court-lc", kind="court")
    here = await make_user("officer.here", center_id="dongchangfu")
    elsewhere = await make_user("officer.elsewhere", center_id="linqing")
    headers = {
        "anonymous": {},
        "admin": auth_headers(principal_for_user(admin)),
        "officer_of_center": auth_headers(principal_for_user(here)),
        "officer_elsewhere": auth_headers(principal_for_user(elsewhere)),
    }
    for caller, (partner_id, role) in {
        "filing_app": ("filing-app", Role.app),
        "other_app": ("other-app", Role.app),
        "party_insurer": ("party-insurer", Role.insurer),
        "other_insurer": ("other-insurer", Role.insurer),
        "mediation": ("mediation-lc", Role.mediation),
        "court": ("court-lc", Role.court),
    }.items():
        headers[caller] = auth_headers(
            Principal(subject=f"partner:{partner_id}", role=role, partner_id=partner_id)
        )
    reviewer = await make_user("reviewer.city", role=UserRole.reviewer, center_id=None)
    headers["reviewer"] = auth_headers(principal_for_user(reviewer))
    app_h = headers["filing_app"]

    async def filed_case(n: int) -> dict[str, Any]:
        body = report_body()
        body["parties"][0]["plate"] = f"鲁P{n:05d}"  # type: ignore[index]
        return dict(
            (
                await client.post(
                    "/v1/reports", json=body, headers={**app_h, "Idempotency-Key": f"w{n}"}
                )
            ).json()
        )

    async def queued_case(n: int) -> str:
        case = await filed_case(n)
        await confirm_every_party(client, case, app_h)
        for kind, party in (
            ("overview_front", None),
            ("overview_rear", None),
            ("collision_point", None),
            ("plate", 0),
            ("plate", 1),
        ):
            data = {"kind": kind} if party is None else {"kind": kind, "party": str(party)}
            answer = await client.post(
                f"/v1/cases/{case['id']}/evidence",
                data=data,
                files={"file": ("p.png", png(n * 10 + (party or 0) + len(kind)), "image/png")},
                headers=app_h,
            )
            assert answer.status_code == 201, answer.text
        return str(case["id"])

    queued, held, decided = await queued_case(1), await queued_case(2), await queued_case(3)
    final, in_review = await queued_case(4), await queued_case(5)
    filed = (await filed_case(6))["id"]
    await confirm_every_party(client, {"id": filed, "parties": [0, 1]}, app_h, [0])
    officer = headers["officer_of_center"]
    await client.post(f"/v1/cases/{held}/claim", headers=officer)
    for case_id in (decided, final, in_review):
        claimed = await client.post(f"/v1/cases/{case_id}/claim", headers=officer)
        made = await client.post(
            f"/v1/cases/{case_id}/decision",
            json=DECISION,
            headers={**officer, "If-Match": claimed.headers["etag"]},
        )
        assert made.status_code == 200, made.text
    await deliver_to_every_party(client, {"id": final, "parties": [0, 1]}, app_h)
    requested = await client.post(
        f"/v1/cases/{in_review}/review-requests",
        json={"party": 1, "reason": "乙方认为责任划分有误。"},
        headers=app_h,
    )
    assert requested.status_code == 201, requested.text
    evidence = (await client.get(f"/v1/cases/{queued}", headers=app_h)).json()["evidence"][0]["id"]
    messages = (await client.get("/v1/deliveries", headers=headers["admin"])).json()["items"]
    message = next(m["id"] for m in messages if m["partner_id"] == "party-insurer")
    body = report_body()
    body["parties"][0]["plate"] = "鲁P77777"  # type: ignore[index]
    return {
        "headers": headers,
        "queued": queued,
        "held": held,
        "decided": decided,
        "filed": filed,
        "final": final,
        "in_review": in_review,
        "now": datetime.now(UTC).isoformat(),
        "evidence": evidence,
        "message": message,
        "report": body,
        "png": png(999),
        "filing_secret": filing.client_secret,
    }


async def test_every_route_is_in_the_matrix(app, world) -> None:
    assert app_routes(app) == set(matrix(world))


async def test_every_route_answers_every_caller_as_expected(client, world, db_connection) -> None:
    mismatches = []
    for (method, template), call in matrix(world).items():
        for caller in CALLERS:
            savepoint = await db_connection.begin_nested()
            try:
                headers = {**world["headers"][caller], **call.headers}
                if call.if_match:
                    version = (
                        await client.get(
                            f"/v1/cases/{call.if_match}", headers=world["headers"]["admin"]
                        )
                    ).json()["version"]
                    headers["If-Match"] = f'"{version}"'
                response = await client.request(
                    call.method,
                    call.path,
                    json=call.json,
                    data=call.data,
                    files=call.files,
                    headers=headers,
                )
            finally:
                await savepoint.rollback()
            if response.status_code != call.expected[caller]:
                mismatches.append(
                    f"{method} {template} as {caller}: {response.status_code} "
                    f"(expected {call.expected[caller]}) {response.text[:160]}"
                )
            if response.status_code >= 400:
                assert response.headers["content-type"] == "application/problem+json", (
                    method,
                    template,
                    caller,
                )
    assert mismatches == []


async def test_personal_data_is_masked_for_who_does_not_need_it(client, world) -> None:
    url = f"/v1/cases/{world['queued']}"
    seen: Callable[[str], Any] = lambda caller: client.get(url, headers=world["headers"][caller])  # noqa: E731
    full_for_all = {"officer_of_center", "filing_app"}
    for caller in full_for_all:
        parties = (await seen(caller)).json()["parties"]
        assert [p["masked"] for p in parties] == [False, False], caller
        assert parties[0]["id_number"] == "371502199001011234"
    admin = (await seen("admin")).json()["parties"]
    assert [p["masked"] for p in admin] == [True, True]
    assert admin[0]["id_number"] == "3715**********1234"
    assert admin[0]["phone"] == "138****0001"
    insurer = (await seen("party_insurer")).json()["parties"]
    assert [p["masked"] for p in insurer] == [False, True]
    assert "371521198507152346" not in (await seen("party_insurer")).text


async def test_secrets_are_shown_once(client, world) -> None:
    admin = world["headers"]["admin"]
    shown = [
        (await client.get("/v1/partners", headers=admin)).text,
        (await client.get("/v1/partners/filing-app", headers=admin)).text,
        (await client.get("/v1/deliveries", headers=admin)).text,
    ]
    for text in shown:
        assert world["filing_secret"] not in text
        assert "whsec_" not in text
        assert "client_secret" not in text

"""The officer's work through the API: queue, claim, release, evidence requests, referral,
decisions with If-Match, and the lease."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from accident_online.decisions.leases import release_expired_leases
from accident_online.kit.time import utc_now
from accident_online_testing.road import confirm_every_party
from service_processes import tiny_png

DECISION = {
    "liabilities": [{"party": 0, "grade": "none"}, {"party": 1, "grade": "full"}],
    "facts": "乙车变更车道时未让所借用车道内行驶的甲车先行，与甲车右前侧发生刮擦。",
    "legal_basis": "《道路交通安全法实施条例》第四十四条；《道路交通事故处理程序规定》第六十条",
}


async def claim(client, officer, case_id) -> httpx.Response:
    return await client.post(f"/v1/cases/{case_id}/claim", headers=officer.headers)


async def test_queue_is_oldest_first_and_only_for_the_center(
    client, queued_case, make_officer, report_body
) -> None:
    officer = await make_officer("officer.wang")
    foreign = await make_officer("officer.liu", center_id="linqing")
    first = await queued_case()
    body = report_body()
    body["parties"][0]["plate"] = "鲁P99999"  # type: ignore[index]
    second = await queued_case(body)

    queue = await client.get("/v1/centers/dongchangfu/queue", headers=officer.headers)
    refused = await client.get("/v1/centers/dongchangfu/queue", headers=foreign.headers)
    unknown = await client.get("/v1/centers/atlantis/queue", headers=officer.headers)
    paged = await client.get("/v1/centers/dongchangfu/queue?limit=1", headers=officer.headers)
    rest = await client.get(
        f"/v1/centers/dongchangfu/queue?limit=1&cursor={paged.json()['next_cursor']}",
        headers=officer.headers,
    )

    assert [c["id"] for c in queue.json()["items"]] == [first["id"], second["id"]]
    assert refused.status_code == 403
    assert unknown.status_code in (403, 404)
    assert [c["id"] for c in paged.json()["items"] + rest.json()["items"]] == [
        first["id"],
        second["id"],
    ]


async def test_claim_then_decide(client, queued_case, make_officer, app_headers) -> None:
    officer = await make_officer("officer.wang")
    case = await queued_case()

    claimed = await claim(client, officer, case["id"])
    decided = await client.post(
        f"/v1/cases/{case['id']}/decision",
        json=DECISION,
        headers=officer.with_version(claimed.json()["version"]),
    )
    queue = await client.get("/v1/centers/dongchangfu/queue", headers=officer.headers)

    assert claimed.status_code == 200
    assert claimed.json()["status"] == "under_review"
    assert claimed.json()["assigned_officer"]["username"] == "officer.wang"
    assert queue.json()["items"] == []
    assert decided.status_code == 200, decided.text
    record = decided.json()
    assert record["status"] == "decided"
    assert record["decision"]["liabilities"] == [
        {"party": 0, "label": "甲", "grade": "none", "share_percent": 0},
        {"party": 1, "label": "乙", "grade": "full", "share_percent": 100},
    ]
    assert record["decision"]["officer"]["username"] == "officer.wang"
    assert record["decision"]["document"] == "liability_determination"
    assert record["decision"]["agreement"] is None
    assert record["procedure"] == "determination"
    assert record["receipts"] == []
    assert record["final_at"] is None
    events = (await client.get(f"/v1/cases/{case['id']}/events", headers=app_headers)).json()
    types = [e["type"] for e in events["items"]]
    assert types[-2:] == ["case.claimed", "case.decided"]


async def test_the_decision_says_whether_the_agreement_was_confirmed(
    client, queued_case, make_officer, report_body
) -> None:
    officer = await make_officer("officer.wang", display_name="王建国", badge_number="371501")
    agreed = [{"party": 0, "grade": "none"}, {"party": 1, "grade": "full"}]
    confirmed_case = await queued_case(report_body(agreed_liability=agreed))
    # The parties agreed yet jointly asked for a determination: the officer may differ.
    body = report_body(agreed_liability=agreed, determination_requested=True)
    body["parties"][0]["plate"] = "鲁P88888"  # type: ignore[index]
    changed_case = await queued_case(body)
    # Without that request the officer cannot rewrite an agreed liability (order 146 art. 19).
    body = report_body(agreed_liability=agreed)
    body["parties"][0]["plate"] = "鲁P77777"  # type: ignore[index]
    agreement_case = await queued_case(body)
    version = (await claim(client, officer, agreement_case["id"])).json()["version"]
    rewritten = await client.post(
        f"/v1/cases/{agreement_case['id']}/decision",
        json={
            **DECISION,
            "liabilities": [{"party": 0, "grade": "equal"}, {"party": 1, "grade": "equal"}],
        },
        headers=officer.with_version(version),
    )
    assert rewritten.status_code == 409, rewritten.text
    assert rewritten.json()["code"] == "agreed-liability"

    results = {}
    statuses = {}
    for name, case, liabilities in (
        ("confirmed", confirmed_case, DECISION["liabilities"]),
        ("changed", changed_case, [{"party": 0, "grade": "equal"}, {"party": 1, "grade": "equal"}]),
    ):
        version = (await claim(client, officer, case["id"])).json()["version"]
        decided = await client.post(
            f"/v1/cases/{case['id']}/decision",
            json={**DECISION, "liabilities": liabilities},
            headers=officer.with_version(version),
        )
        results[name] = decided.json()["decision"]
        statuses[name] = decided.json()["status"]
        assert [(a["party"], a["label"]) for a in decided.json()["agreed_liability"]] == [
            (0, "甲"),
            (1, "乙"),
        ]

    assert results["confirmed"]["agreement"] == "confirmed"
    assert results["confirmed"]["document"] == "quick_handling_agreement"
    # An agreement confirmed has nothing to review: liability stands at once.
    assert statuses == {"confirmed": "final", "changed": "decided"}
    assert results["changed"]["agreement"] == "changed"
    assert results["changed"]["document"] == "liability_determination"
    assert [item["label"] for item in results["changed"]["liabilities"]] == ["甲", "乙"]
    assert results["confirmed"]["officer"] == {
        "id": str(officer.user.id),
        "username": "officer.wang",
        "display_name": "王建国",
        "badge_number": "371501",
    }


async def test_a_three_party_agreement_the_officer_repeats_is_confirmed(
    client, queued_case, make_officer, report_body
) -> None:
    """The stored agreement's grades are text; three-party rules compare grade members."""
    from accident_online.parties.formats import id_check_character

    officer = await make_officer("officer.wang")
    agreed = [
        {"party": 0, "grade": "none", "share_percent": 0},
        {"party": 1, "grade": "primary", "share_percent": 70},
        {"party": 2, "grade": "secondary", "share_percent": 30},
    ]
    body = report_body(agreed_liability=agreed)
    first_17 = "37150219880315321"
    body["parties"].append(  # type: ignore[attr-defined]
        {
            **body["parties"][1],  # type: ignore[index]
            "name": "欧阳娜娜",
            "id_number": first_17 + id_check_character(first_17),
            "licence_number": first_17 + id_check_character(first_17),
            "plate": "鲁P7K321",
        }
    )
    case = await queued_case(body)
    version = (await claim(client, officer, case["id"])).json()["version"]

    decided = await client.post(
        f"/v1/cases/{case['id']}/decision",
        json={**DECISION, "liabilities": agreed},
        headers=officer.with_version(version),
    )

    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"]["agreement"] == "confirmed"
    assert decided.json()["decision"]["document"] == "quick_handling_agreement"


async def test_if_match_missing_is_428_and_stale_is_412(client, queued_case, make_officer) -> None:
    officer = await make_officer("officer.wang")
    case = await queued_case()
    version = (await claim(client, officer, case["id"])).json()["version"]
    url = f"/v1/cases/{case['id']}/decision"

    missing = await client.post(url, json=DECISION, headers=officer.headers)
    stale = await client.post(url, json=DECISION, headers=officer.with_version(version - 1))
    after = await client.get(f"/v1/cases/{case['id']}", headers=officer.headers)

    assert missing.status_code == 428
    assert missing.json()["code"] == "precondition-required"
    assert stale.status_code == 412
    assert stale.json()["code"] == "version-mismatch"
    assert after.json()["status"] == "under_review"
    assert after.json()["version"] == version


async def test_invalid_liabilities_are_422_and_change_nothing(
    client, queued_case, make_officer
) -> None:
    officer = await make_officer("officer.wang")
    case = await queued_case()
    version = (await claim(client, officer, case["id"])).json()["version"]
    invalid = [
        [{"party": 0, "grade": "full"}, {"party": 1, "grade": "full"}],
        [{"party": 0, "grade": "primary"}, {"party": 1, "grade": "none"}],
        [{"party": 0, "grade": "none"}, {"party": 2, "grade": "full"}],
        [{"party": 0, "grade": "none"}],
    ]
    for liabilities in invalid:
        response = await client.post(
            f"/v1/cases/{case['id']}/decision",
            json={**DECISION, "liabilities": liabilities},
            headers=officer.with_version(version),
        )
        assert response.status_code == 422, liabilities
    no_facts = await client.post(
        f"/v1/cases/{case['id']}/decision",
        json={**DECISION, "facts": ""},
        headers=officer.with_version(version),
    )
    assert no_facts.status_code == 422
    after = (await client.get(f"/v1/cases/{case['id']}", headers=officer.headers)).json()
    assert (after["status"], after["version"], after["decision"]) == ("under_review", version, None)


async def test_another_officer_gets_409_and_another_center_404(
    client, queued_case, make_officer
) -> None:
    wang = await make_officer("officer.wang")
    zhao = await make_officer("officer.zhao")
    liu = await make_officer("officer.liu", center_id="linqing")
    case = await queued_case()

    first = await claim(client, wang, case["id"])
    second = await claim(client, zhao, case["id"])
    foreign = await claim(client, liu, case["id"])
    zhao_decides = await client.post(
        f"/v1/cases/{case['id']}/decision",
        json=DECISION,
        headers=zhao.with_version(first.json()["version"]),
    )

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["code"] == "case-held"
    assert foreign.status_code == 404
    assert zhao_decides.status_code == 409
    assert zhao_decides.json()["code"] == "not-holding-case"


async def test_release_and_reclaim(client, queued_case, make_officer) -> None:
    wang = await make_officer("officer.wang")
    zhao = await make_officer("officer.zhao")
    case = await queued_case()
    version = (await claim(client, wang, case["id"])).json()["version"]

    released = await client.post(
        f"/v1/cases/{case['id']}/release", headers=wang.with_version(version)
    )
    taken = await claim(client, zhao, case["id"])

    assert released.status_code == 200
    assert released.json()["status"] == "queued"
    assert released.json()["assigned_officer"] is None
    assert taken.json()["assigned_officer"]["username"] == "officer.zhao"


async def test_evidence_request_sends_the_case_back_for_photos(
    client, queued_case, make_officer, upload_evidence, app_headers
) -> None:
    officer = await make_officer("officer.wang")
    case = await queued_case()
    version = (await claim(client, officer, case["id"])).json()["version"]

    requested = await client.post(
        f"/v1/cases/{case['id']}/evidence-requests",
        json={
            "kinds": ["collision_point", {"kind": "plate", "party": 1}],
            "message": "请重新拍摄碰撞部位",
        },
        headers=officer.with_version(version),
    )
    seen_by_app = (await client.get(f"/v1/cases/{case['id']}", headers=app_headers)).json()
    await upload_evidence(case["id"], "collision_point", content=tiny_png(4001))
    after_one = (await client.get(f"/v1/cases/{case['id']}", headers=app_headers)).json()
    await upload_evidence(case["id"], "plate", 1, content=tiny_png(4002))
    after_both = (await client.get(f"/v1/cases/{case['id']}", headers=app_headers)).json()

    assert requested.status_code == 200, requested.text
    assert seen_by_app["status"] == "awaiting_evidence"
    assert seen_by_app["evidence_request_message"] == "请重新拍摄碰撞部位"
    assert seen_by_app["missing_evidence"] == [
        {"kind": "collision_point", "party": None},
        {"kind": "plate", "party": 1},
    ]
    assert after_one["missing_evidence"] == [{"kind": "plate", "party": 1}]
    assert after_both["status"] == "queued"
    assert after_both["missing"] == []


async def test_referral_is_final(client, queued_case, make_officer) -> None:
    officer = await make_officer("officer.wang")
    case = await queued_case()
    version = (await claim(client, officer, case["id"])).json()["version"]

    referred = await client.post(
        f"/v1/cases/{case['id']}/referral",
        json={"reason": "一方车辆无法移动"},
        headers=officer.with_version(version),
    )
    again = await claim(client, officer, case["id"])

    assert referred.json()["status"] == "referred_offline"
    assert referred.json()["referral_reason"] == "一方车辆无法移动"
    assert again.status_code == 409
    assert again.json()["code"] == "invalid-transition"


async def test_a_quiet_officers_lease_expires_back_to_the_queue(
    client, queued_case, make_officer, session, app_headers
) -> None:
    wang = await make_officer("officer.wang")
    zhao = await make_officer("officer.zhao")
    case = await queued_case()
    version = (await claim(client, wang, case["id"])).json()["version"]

    released = await release_expired_leases(session, now=utc_now() + timedelta(minutes=31))
    await session.commit()
    late_decision = await client.post(
        f"/v1/cases/{case['id']}/decision", json=DECISION, headers=wang.with_version(version + 1)
    )
    taken = await claim(client, zhao, case["id"])
    events = (await client.get(f"/v1/cases/{case['id']}/events", headers=app_headers)).json()[
        "items"
    ]

    assert released == 1
    assert late_decision.status_code == 409
    assert taken.status_code == 200
    assert "case.claim_expired" in [e["type"] for e in events]
    expired = next(e for e in events if e["type"] == "case.claim_expired")
    assert expired["actor"] == "system"


async def test_lease_not_yet_expired_is_kept(client, queued_case, make_officer, session) -> None:
    wang = await make_officer("officer.wang")
    case = await queued_case()
    await claim(client, wang, case["id"])

    released = await release_expired_leases(session, now=utc_now() + timedelta(minutes=29))

    assert released == 0


async def test_twenty_officers_racing_for_one_case_one_wins(
    committed_app, report_body, png, capsys
) -> None:
    from accident_online.auth.principal import Principal
    from accident_online.auth.service import issue_access_token, principal_for_user
    from accident_online.kit.passwords import hash_secret
    from accident_online.models.user import Role, User, UserRole
    from accident_online.partners.schemas import PartnerCreate
    from accident_online.partners.service import register_partner

    key = committed_app.state.jwt_key
    password_hash = await hash_secret("a-long-enough-password")
    async with committed_app.state.database.session(write=True) as session:
        await register_partner(session, PartnerCreate(id="app-race", kind="app", name="App"))
        officers = [
            User(
                username=f"officer{i}",
                password_hash=password_hash,
                role=UserRole.officer,
                center_id="dongchangfu",
            )
            for i in range(20)
        ]
        session.add_all(officers)

    def bearer(principal: Principal) -> dict[str, str]:
        token = issue_access_token(principal, key=key, ttl_seconds=600).access_token
        return {"Authorization": f"Bearer {token}"}

    app_headers = bearer(
        Principal(subject="partner:app-race", role=Role.app, partner_id="app-race")
    )
    transport = httpx.ASGITransport(app=committed_app, client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        case = (
            await client.post(
                "/v1/reports",
                json=report_body(),
                headers={**app_headers, "Idempotency-Key": "race"},
            )
        ).json()
        await confirm_every_party(client, case, app_headers)
        uploads = [
            ("overview_front", None),
            ("overview_rear", None),
            ("collision_point", None),
            ("plate", 0),
            ("plate", 1),
        ]
        for number, (kind, party) in enumerate(uploads):
            data = {"kind": kind} if party is None else {"kind": kind, "party": str(party)}
            response = await client.post(
                f"/v1/cases/{case['id']}/evidence",
                data=data,
                files={"file": ("p.png", png(number), "image/png")},
                headers=app_headers,
            )
            assert response.status_code == 201, response.text
        responses = await asyncio.gather(
            *(
                client.post(f"/v1/cases/{case['id']}/claim", headers=bearer(principal_for_user(o)))
                for o in officers
            )
        )
        final = (await client.get(f"/v1/cases/{case['id']}", headers=app_headers)).json()

    statuses = sorted(r.status_code for r in responses)
    winners = [r.json()["assigned_officer"]["username"] for r in responses if r.status_code == 200]
    with capsys.disabled():
        print(f"\n20 concurrent claims: {statuses.count(200)} won, {statuses.count(409)} got 409")
    assert statuses == [200] + [409] * 19
    assert final["assigned_officer"]["username"] == winners[0]


async def test_if_match_star_is_refused_with_428(client, queued_case, make_officer) -> None:
    officer = await make_officer("officer.wang")
    case = await queued_case()
    await claim(client, officer, case["id"])

    for value in ("*", '"1", *', "", "  "):
        refused = await client.post(
            f"/v1/cases/{case['id']}/decision",
            json=DECISION,
            headers={**officer.headers, "If-Match": value},
        )
        assert refused.status_code == 428, value
        assert refused.json()["code"] == "precondition-required"
    after = (await client.get(f"/v1/cases/{case['id']}", headers=officer.headers)).json()
    assert (after["status"], after["decision"]) == ("under_review", None)


async def test_every_change_but_the_claim_needs_if_match(client, queued_case, make_officer) -> None:
    officer = await make_officer("officer.wang")
    case = await queued_case()
    version = (await claim(client, officer, case["id"])).json()["version"]
    changes = {
        "release": None,
        "evidence-requests": {"kinds": ["collision_point"], "message": "请重新拍摄碰撞部位"},
        "referral": {"reason": "一方车辆无法移动"},
        "decision": DECISION,
    }

    for change, body in changes.items():
        missing = await client.post(
            f"/v1/cases/{case['id']}/{change}", json=body, headers=officer.headers
        )
        stale = await client.post(
            f"/v1/cases/{case['id']}/{change}",
            json=body,
            headers=officer.with_version(version - 1),
        )
        assert missing.status_code == 428, change
        assert stale.status_code == 412, change
        assert stale.headers["etag"] == f'"{version}"'
    after = (await client.get(f"/v1/cases/{case['id']}", headers=officer.headers)).json()
    assert (after["status"], after["version"]) == ("under_review", version)


async def test_a_second_decision_is_409_already_decided(client, queued_case, make_officer) -> None:
    wang = await make_officer("officer.wang")
    zhao = await make_officer("officer.zhao")
    case = await queued_case()
    version = (await claim(client, wang, case["id"])).json()["version"]
    url = f"/v1/cases/{case['id']}/decision"
    first = await client.post(url, json=DECISION, headers=wang.with_version(version))

    # The officer's own retry with the ETag it sent, one with the new ETag, and another
    # officer's: each is told the case is decided, not that it changed.
    resent = await client.post(url, json=DECISION, headers=wang.with_version(version))
    current = await client.post(
        url, json=DECISION, headers=wang.with_version(first.json()["version"])
    )
    other = await client.post(url, json=DECISION, headers=zhao.with_version(version))
    after = (await client.get(f"/v1/cases/{case['id']}", headers=wang.headers)).json()

    assert first.status_code == 200
    for answer in (resent, current, other):
        assert answer.status_code == 409
        assert answer.json()["code"] == "already-decided"
    assert after["version"] == first.json()["version"]
    assert after["decision"] == first.json()["decision"]


@pytest.mark.parametrize(
    ("change", "schema"),
    [
        ("decision", "DecisionCreate"),
        ("evidence-requests", "EvidenceRequestCreate"),
        ("referral", "ReferralCreate"),
    ],
)
async def test_the_documented_example_sent_unchanged_is_refused(
    client, queued_case, make_officer, change, schema
) -> None:
    officer = await make_officer("officer.wang")
    case = await queued_case()
    version = (await claim(client, officer, case["id"])).json()["version"]
    document = (await client.get("/openapi.json")).json()
    example = document["components"]["schemas"][schema]["examples"][0]

    refused = await client.post(
        f"/v1/cases/{case['id']}/{change}", json=example, headers=officer.with_version(version)
    )
    after = (await client.get(f"/v1/cases/{case['id']}", headers=officer.headers)).json()

    assert refused.status_code == 422
    assert refused.json()["code"] == "validation-error"
    assert all("placeholder" in error["msg"] for error in refused.json()["errors"])
    assert (after["status"], after["version"]) == ("under_review", version)

"""POST /v1/centers/{center_id}/queue/next: the officer takes the longest-waiting case."""

from __future__ import annotations

import asyncio

import httpx

from accident_online_testing.road import confirm_every_party

NEXT = "/v1/centers/dongchangfu/queue/next"


def with_plate(report_body, plate: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    body = report_body()
    body["parties"][0]["plate"] = plate  # type: ignore[index]
    return body


async def test_next_claims_the_longest_waiting_case_like_a_claim(
    client, queued_case, make_officer, report_body, app_headers
) -> None:
    officer = await make_officer("officer.wang", display_name="王建国", badge_number="371501")
    first = await queued_case()
    second = await queued_case(with_plate(report_body, "鲁P99999"))
    before = (await client.get(f"/v1/cases/{first['id']}", headers=officer.headers)).json()

    taken = await client.post(NEXT, headers=officer.headers)
    then = await client.post(NEXT, headers=officer.headers)
    queue = await client.get("/v1/centers/dongchangfu/queue", headers=officer.headers)
    events = (await client.get(f"/v1/cases/{first['id']}/events", headers=app_headers)).json()

    assert taken.status_code == 200, taken.text
    record = taken.json()
    assert record["id"] == first["id"]
    assert record["status"] == "under_review"
    assert taken.headers["etag"] == f'"{record["version"]}"'
    assert record["version"] == before["version"] + 1
    assert record["assigned_officer"]["username"] == "officer.wang"
    assert record["assigned_officer"]["display_name"] == "王建国"
    assert record["assigned_officer"]["badge_number"] == "371501"
    assert record["assigned_officer"]["claim_expires_at"] is not None
    assert [p["label"] for p in record["parties"]] == ["甲", "乙"]
    assert len(record["evidence"]) == 5
    assert record["description"]
    assert then.json()["id"] == second["id"]
    assert queue.json()["items"] == []
    assert events["items"][-1]["type"] == "case.claimed"
    assert events["items"][-1]["data"]["officer_id"] == str(officer.user.id)


async def test_an_empty_queue_is_204(client, make_officer, queued_case) -> None:
    officer = await make_officer("officer.wang")
    await queued_case()
    await client.post(NEXT, headers=officer.headers)

    empty = await client.post(NEXT, headers=officer.headers)

    assert empty.status_code == 204
    assert empty.content == b""


async def test_only_officers_of_that_center_may_take_its_cases(
    client, queued_case, make_officer, admin_headers, app_headers
) -> None:
    foreign = await make_officer("officer.liu", center_id="linqing")
    case = await queued_case()

    other_center = await client.post(NEXT, headers=foreign.headers)
    unknown = await client.post("/v1/centers/atlantis/queue/next", headers=foreign.headers)
    admin = await client.post(NEXT, headers=admin_headers)
    app = await client.post(NEXT, headers=app_headers)
    anonymous = await client.post(NEXT)
    after = (await client.get(f"/v1/cases/{case['id']}", headers=app_headers)).json()

    assert other_center.status_code == 403
    assert other_center.json()["code"] == "another-centers-queue"
    assert unknown.status_code == 403
    assert admin.status_code == 403
    assert app.status_code == 403
    assert anonymous.status_code == 401
    assert (after["status"], after["assigned_officer"]) == ("queued", None)


async def test_officers_asking_at_once_never_get_the_same_case(
    committed_app, report_body, png
) -> None:
    """Real concurrent requests on a database whose transactions commit, on both backends:
    eight officers, five queued cases: five distinct winners, three empty answers."""
    from accident_online.auth.principal import Principal
    from accident_online.auth.service import issue_access_token, principal_for_user
    from accident_online.kit.passwords import hash_secret
    from accident_online.models.user import Role, User, UserRole
    from accident_online.partners.schemas import PartnerCreate
    from accident_online.partners.service import register_partner

    key = committed_app.state.jwt_key
    password_hash = await hash_secret("a-long-enough-password")
    async with committed_app.state.database.session(write=True) as session:
        await register_partner(session, PartnerCreate(id="app-next", kind="app", name="App"))
        officers = [
            User(
                username=f"officer{i}",
                password_hash=password_hash,
                role=UserRole.officer,
                center_id="dongchangfu",
            )
            for i in range(8)
        ]
        session.add_all(officers)

    def bearer(principal: Principal) -> dict[str, str]:
        token = issue_access_token(principal, key=key, ttl_seconds=600).access_token
        return {"Authorization": f"Bearer {token}"}

    app_headers = bearer(
        Principal(subject="partner:app-next", role=Role.app, partner_id="app-next")
    )
    transport = httpx.ASGITransport(app=committed_app, client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        queued = []
        for number in range(5):
            case = (
                await client.post(
                    "/v1/reports",
                    json=with_plate(report_body, f"鲁P1000{number}"),
                    headers={**app_headers, "Idempotency-Key": f"next-{number}"},
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
            for photo, (kind, party) in enumerate(uploads):
                data = {"kind": kind} if party is None else {"kind": kind, "party": str(party)}
                response = await client.post(
                    f"/v1/cases/{case['id']}/evidence",
                    data=data,
                    files={"file": ("p.png", png(number * 10 + photo), "image/png")},
                    headers=app_headers,
                )
                assert response.status_code == 201, response.text
            queued.append(case["id"])

        responses = await asyncio.gather(
            *(client.post(NEXT, headers=bearer(principal_for_user(o))) for o in officers)
        )
        finals = [
            (await client.get(f"/v1/cases/{case_id}", headers=app_headers)).json()
            for case_id in queued
        ]
        events = [
            (await client.get(f"/v1/cases/{case_id}/events", headers=app_headers)).json()
            for case_id in queued
        ]

    won = [r.json() for r in responses if r.status_code == 200]
    assert sorted(r.status_code for r in responses) == [200] * 5 + [204] * 3
    assert sorted(c["id"] for c in won) == sorted(queued)
    holders = {c["id"]: c["assigned_officer"]["username"] for c in won}
    assert len(set(holders.values())) == 5
    assert {c["id"]: c["assigned_officer"]["username"] for c in finals} == holders
    for timeline in events:
        assert [e["type"] for e in timeline["items"]].count("case.claimed") == 1

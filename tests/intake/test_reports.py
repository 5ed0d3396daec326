"""POST /v1/eligibility and POST /v1/reports through the API."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import text

ANSWERS_THAT_FAIL = {
    "injuries": (True, "injuries"),
    "all_vehicles_drivable": (False, "vehicle_not_drivable"),
    "all_drivers_licensed": (False, "unlicensed_driver"),
    "alcohol_or_drugs": (True, "alcohol_or_drugs"),
    "all_vehicles_registered": (False, "unregistered_vehicle"),
    "all_vehicles_insured": (False, "uninsured"),
    "party_fled": (True, "party_fled"),
    "public_property_damage": (True, "public_property_damage"),
    "hazardous_goods": (True, "hazardous_goods"),
    "school_bus_overload_speeding": (True, "school_bus_overload_speeding"),
    "suspected_offence": (True, "suspected_offence"),
    "deliberate": (True, "deliberate"),
}
# Order 146 art. 14: the vehicles are moved aside and the accident reported, no waiting.
NO_WAITING_AT_THE_SCENE = {"uninsured", "public_property_damage"}


async def case_count(client, admin_headers) -> int:
    return len((await client.get("/v1/cases?limit=200", headers=admin_headers)).json()["items"])


async def test_a_valid_report_becomes_a_case_awaiting_photos(
    file_report, client, app_headers
) -> None:
    response = await file_report()

    assert response.status_code == 201, response.text
    case = response.json()
    assert response.headers["location"] == f"/v1/cases/{case['id']}"
    assert response.headers["etag"] == f'"{case["version"]}"'
    assert re.fullmatch(r"LC\d{8}-\d{4}", case["number"])
    assert case["status"] == "awaiting_evidence"
    assert case["center_id"] == "dongchangfu"
    assert case["routing_reason"] == "jurisdiction"
    assert case["missing"] == ["overview_front", "overview_rear", "collision_point", "plate"]
    assert {"kind": "plate", "party": 1} in case["missing_evidence"]
    assert [p["plate"] for p in case["parties"]] == ["鲁P12345", "鲁PD12345"]
    assert case["parties"][0]["name"] == "张伟"
    assert case["parties"][0]["commercial_third_party_cover"] == "1000000.00"
    assert case["description"] == "乙车变道时与甲车右前侧刮擦。"

    shown = await client.get(f"/v1/cases/{case['id']}", headers=app_headers)
    assert shown.status_code == 200
    assert shown.json() == case
    events = (await client.get(f"/v1/cases/{case['id']}/events", headers=app_headers)).json()
    assert [e["type"] for e in events["items"]] == ["case.reported", "case.routed"]
    assert events["items"][1]["data"]["reason"] == "jurisdiction"
    assert events["items"][0]["actor"] == "partner:app-lc"


@pytest.mark.parametrize(("field", "failing"), list(ANSWERS_THAT_FAIL.items()))
async def test_each_eligibility_rule_refuses_the_report_and_stores_nothing(
    client, app_headers, admin_headers, report_body, file_report, field, failing
) -> None:
    value, code = failing
    body = report_body(**{field: value})

    checked = await client.post("/v1/eligibility", json=body, headers=app_headers)
    filed = await file_report(body)

    assert checked.status_code == 200
    assert checked.json()["eligible"] is False
    assert checked.json()["reasons"] == [code]
    assert "122" in checked.json()["detail"]
    assert filed.status_code == 422
    problem = filed.json()
    assert problem["code"] == "not-eligible"
    assert problem["reasons"] == [code]
    assert "122" in problem["detail"]
    stays = "Stay at the scene" in problem["detail"]
    assert stays is (code not in NO_WAITING_AT_THE_SCENE)
    assert await case_count(client, admin_headers) == 0


async def test_single_vehicle_and_several_failures_list_every_reason(
    client, app_headers, report_body
) -> None:
    body = report_body(injuries=True, deliberate=True)
    body["parties"] = body["parties"][:1]  # type: ignore[index]

    checked = await client.post("/v1/eligibility", json=body, headers=app_headers)

    assert checked.json() == {
        "eligible": False,
        "reasons": ["injuries", "single_vehicle", "deliberate"],
        "late": False,
        "detail": checked.json()["detail"],
    }


async def test_eligible_check_stores_nothing(
    client, app_headers, admin_headers, report_body
) -> None:
    checked = await client.post("/v1/eligibility", json=report_body(), headers=app_headers)
    assert checked.json() == {"eligible": True, "reasons": [], "late": False, "detail": None}
    assert await case_count(client, admin_headers) == 0


def _party(body: dict, index: int, **changes: object) -> dict:
    body["parties"][index].update(changes)
    return body


@pytest.mark.parametrize(
    ("change", "location"),
    [
        (lambda b: _party(b, 0, plate="鲁P1234I"), ["body", "parties", 0, "plate"]),
        (lambda b: _party(b, 0, plate="XX12345"), ["body", "parties", 0, "plate"]),
        (
            lambda b: _party(b, 1, id_number="371521198507152347"),
            ["body", "parties", 1, "id_number"],
        ),
        (
            lambda b: _party(b, 1, id_number="371521198502302346"),
            ["body", "parties", 1, "id_number"],
        ),
        (lambda b: _party(b, 0, phone="12805350001"), ["body", "parties", 0, "phone"]),
        (lambda b: _party(b, 1, plate="鲁P12345"), ["body", "parties"]),
        (lambda b: _party(b, 0, name=""), ["body", "parties", 0, "name"]),
        (lambda b: _party(b, 0, name="张" * 51), ["body", "parties", 0, "name"]),
        (
            lambda b: _party(
                b,
                0,
                commercial_policy={
                    **b["parties"][0]["commercial_policy"],
                    "third_party_cover": "12.345",
                },
            ),
            ["body", "parties", 0, "commercial_policy", "third_party_cover"],
        ),
        (
            lambda b: _party(b, 0, compulsory_policy={"insurer": "P I C C", "policy_number": "1"}),
            ["body", "parties", 0, "compulsory_policy", "insurer"],
        ),
        (lambda b: _party(b, 0, insurer="P I C C"), ["body", "parties", 0, "insurer"]),
        (
            lambda b: {**b, "location": {**b["location"], "district": "110105"}},
            ["body", "location", "district"],
        ),
        (lambda b: {**b, "location": {**b["location"], "lat": 91}}, ["body", "location", "lat"]),
        (lambda b: {**b, "occurred_at": "2099-01-01T00:00:00+08:00"}, ["body", "occurred_at"]),
        (lambda b: {**b, "occurred_at": "2026-11-28T08:00:00"}, ["body", "occurred_at"]),
        (lambda b: {**b, "injuries": None}, ["body", "injuries"]),
        (lambda b: {**b, "colour": "red"}, ["body", "colour"]),
        (lambda b: {**b, "description": "x" * 2001}, ["body", "description"]),
        (
            lambda b: {
                **b,
                "agreed_liability": [{"party": 0, "grade": "full"}, {"party": 1, "grade": "full"}],
            },
            ["body"],
        ),
    ],
)
async def test_invalid_fields_are_422_with_their_location_and_nothing_stored(
    client, admin_headers, report_body, file_report, change, location
) -> None:
    response = await file_report(change(report_body()))

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation-error"
    assert location in [error["loc"] for error in problem["errors"]], problem["errors"]
    assert await case_count(client, admin_headers) == 0


async def test_plates_are_normalised_and_new_energy_plates_accepted(
    file_report, report_body
) -> None:
    body = report_body()
    body["parties"][0]["plate"] = "鲁p·12345"  # type: ignore[index]
    body["parties"][1]["plate"] = "鲁P12345D"  # type: ignore[index]
    response = await file_report(body)
    assert [p["plate"] for p in response.json()["parties"]] == ["鲁P12345", "鲁P12345D"]


async def test_insurers_on_the_platform_are_connected_others_still_accepted(
    file_report, make_partner
) -> None:
    await make_partner("picc-lc", kind="insurer", insurer_codes=["PICC"])

    case = (await file_report()).json()

    picc, cpic = (party["insurer"] for party in case["parties"])
    assert picc == {"code": "PICC", "partner_id": "picc-lc", "connected": True}
    assert cpic == {"code": "CPIC", "partner_id": None, "connected": False}


async def test_only_the_app_partner_files_reports(
    client, auth_headers, report_body, make_partner
) -> None:
    from accident_online.auth.principal import Principal
    from accident_online.models.user import Role

    await make_partner("xx", kind="insurer")
    insurer = auth_headers(Principal(subject="partner:xx", role=Role.insurer, partner_id="xx"))
    anonymous = await client.post(
        "/v1/reports", json=report_body(), headers={"Idempotency-Key": "k"}
    )
    refused = await client.post(
        "/v1/reports", json=report_body(), headers={**insurer, "Idempotency-Key": "k"}
    )

    assert anonymous.status_code == 401
    assert refused.status_code == 403


async def test_case_numbers_count_up_within_a_day(file_report, report_body) -> None:
    numbers = []
    for plate in ("鲁P11111", "鲁P22222", "鲁P33333"):
        body = report_body()
        body["parties"][0]["plate"] = plate  # type: ignore[index]
        numbers.append((await file_report(body)).json()["number"])
    serials = [int(n.split("-")[1]) for n in numbers]
    assert serials == [serials[0], serials[0] + 1, serials[0] + 2]
    assert len({n.split("-")[0] for n in numbers}) == 1


async def test_an_eligibility_check_does_not_wait_behind_a_writer(
    committed_app, report_body
) -> None:
    from accident_online.auth.principal import Principal
    from accident_online.auth.service import issue_access_token
    from accident_online.models.user import Role
    from accident_online.partners.schemas import PartnerCreate
    from accident_online.partners.service import register_partner

    app = committed_app
    async with app.state.database.session(write=True) as session:
        await register_partner(session, PartnerCreate(id="app-lc", kind="app", name="App"))
    principal = Principal(subject="partner:app-lc", role=Role.app, partner_id="app-lc")
    token = issue_access_token(principal, key=app.state.jwt_key, ttl_seconds=600).access_token
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
    async with (
        app.state.database.session(write=True) as writer,
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
    ):
        # Holds the write lock (SQLite) until the check has its answer; a check that
        # needed a writer's turn would wait for it until the busy timeout and fail.
        await writer.exec(text("UPDATE centers SET capacity = capacity"))
        checked = await client.post(
            "/v1/eligibility", json=report_body(), headers={"Authorization": f"Bearer {token}"}
        )

    assert checked.status_code == 200, checked.text
    assert checked.json()["eligible"] is True

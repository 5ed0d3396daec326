"""The record a report makes (issue 13; DOMAIN.md "The record and the documents"), through
the API on both databases: the scene, owners, collision points, both policies, the old
shorthand fields, and late reports (order 146 art. 18)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from accident_online.intake.schemas import EXAMPLE_REPORT


async def test_a_complete_report_is_recorded_and_read_back_as_given(
    file_report, report_body, client, app_headers, make_partner
) -> None:
    await make_partner("picc-lc", kind="insurer", insurer_codes=["PICC"])
    await make_partner("pingan-lc", kind="insurer", insurer_codes=["PINGAN"])

    response = await file_report(report_body())

    assert response.status_code == 201, response.text
    case = response.json()
    assert (case["weather"], case["road_surface"], case["light"]) == ("clear", "dry", "daylight")
    assert case["accident_form"] == "sideswipe"
    assert case["late"] is False
    assert case["late_report"] is None
    first, second = case["parties"]
    assert first["vehicle_type"] == "K33"
    assert first["vehicle_type_name"] == "小型轿车"
    assert first["collision_points"] == ["right_front"]
    assert first["owner"] is None
    assert first["compulsory_policy"] == {
        "insurer": {"code": "PICC", "partner_id": "picc-lc", "connected": True},
        "policy_number": "PDZA202637150000012345",
    }
    assert first["commercial_policy"] == {
        "insurer": {"code": "PINGAN", "partner_id": "pingan-lc", "connected": True},
        "policy_number": "PDAA202637150000054321",
        "third_party_cover": "1000000.00",
        "own_damage": True,
    }
    # The old fields read as before, from the compulsory policy.
    assert first["insurer"] == first["compulsory_policy"]["insurer"]
    assert first["policy_number"] == "PDZA202637150000012345"
    assert first["commercial_third_party_cover"] == "1000000.00"
    assert second["owner"] == {"name": "王强", "id_number": "371502197803124610"}
    assert second["collision_points"] == ["left_front", "left_middle"]
    assert second["commercial_policy"] is None
    shown = await client.get(f"/v1/cases/{case['id']}", headers=app_headers)
    assert shown.json() == case


async def test_another_partys_insurer_sees_the_owner_masked(
    file_report, report_body, client, make_partner, auth_headers
) -> None:
    from accident_online.auth.principal import Principal
    from accident_online.models.user import Role

    await make_partner("pingan-lc", kind="insurer", insurer_codes=["PINGAN"])
    case = (await file_report(report_body())).json()
    pingan = auth_headers(
        Principal(subject="partner:pingan-lc", role=Role.insurer, partner_id="pingan-lc")
    )

    # PINGAN holds only party 0's commercial policy: it sees the case, party 1 masked.
    seen = (await client.get(f"/v1/cases/{case['id']}", headers=pingan)).json()

    assert seen["parties"][0]["masked"] is False
    assert seen["parties"][1]["masked"] is True
    assert seen["parties"][1]["owner"]["id_number"] != "371502197803124610"
    assert seen["parties"][1]["owner"]["id_number"].endswith("4610")


async def test_the_shorthand_insurer_and_policy_number_still_make_the_compulsory_policy(
    file_report, report_body
) -> None:
    body = report_body()
    party = body["parties"][1]  # type: ignore[index]
    policy = party.pop("compulsory_policy")
    party.update(insurer=policy["insurer"], policy_number=policy["policy_number"])
    party["vehicle_type"] = "小型轿车"  # words, as clients sent before the code list

    response = await file_report(body)

    assert response.status_code == 201, response.text
    read = response.json()["parties"][1]
    assert read["compulsory_policy"]["policy_number"] == "ASHZ202637150000067890"
    assert read["compulsory_policy"]["insurer"]["code"] == "CPIC"
    assert read["vehicle_type"] == "K33"


def _set(body: dict, index: int, **changes: object) -> dict:
    body["parties"][index].update(changes)
    return body


def _drop(body: dict, index: int, field: str) -> dict:
    del body["parties"][index][field]
    return body


@pytest.mark.parametrize(
    ("change", "location", "says"),
    [
        (
            lambda b: _set(b, 0, commercial_third_party_cover="1000000.00"),
            ["body", "parties", 0],
            "commercial_policy.third_party_cover",
        ),
        (
            lambda b: _set(b, 0, insurer="PICC", policy_number="P1"),
            ["body", "parties", 0],
            "not both",
        ),
        (lambda b: _drop(b, 1, "compulsory_policy"), ["body", "parties", 1], "compulsory_policy"),
        (
            lambda b: _set(_drop(b, 1, "compulsory_policy"), 1, insurer="CPIC"),
            ["body", "parties", 1],
            "compulsory_policy",
        ),
        (
            lambda b: _set(b, 0, vehicle_type="spaceship"),
            ["body", "parties", 0, "vehicle_type"],
            "GA 802",
        ),
        (
            lambda b: _set(b, 0, collision_points=[]),
            ["body", "parties", 0, "collision_points"],
            "",
        ),
        (
            lambda b: _set(b, 0, collision_points=["bonnet"]),
            ["body", "parties", 0, "collision_points", 0],
            "",
        ),
        (lambda b: _drop(b, 0, "collision_points"), ["body", "parties", 0, "collision_points"], ""),
        (
            lambda b: _set(b, 1, owner={"name": "王强", "id_number": "371502197803124611"}),
            ["body", "parties", 1, "owner", "id_number"],
            "",
        ),
        (
            lambda b: _set(
                b, 0, commercial_policy={"insurer": "PINGAN", "third_party_cover": "1.00"}
            ),
            ["body", "parties", 0, "commercial_policy", "policy_number"],
            "",
        ),
        (lambda b: {**b, "weather": "sunny-ish"}, ["body", "weather"], ""),
        (lambda b: {k: v for k, v in b.items() if k != "weather"}, ["body", "weather"], ""),
        (lambda b: {**b, "accident_form": "t-bone"}, ["body", "accident_form"], ""),
        (lambda b: {**b, "light": "moonlight"}, ["body", "light"], ""),
        (
            lambda b: {k: v for k, v in b.items() if k != "suspected_offence"},
            ["body", "suspected_offence"],
            "",
        ),
    ],
)
async def test_bad_record_fields_are_422_naming_the_field(
    file_report, report_body, client, admin_headers, change, location, says
) -> None:
    response = await file_report(change(report_body()))

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation-error"
    errors = [e for e in problem["errors"] if e["loc"] == location]
    assert errors, problem["errors"]
    assert says in " ".join(e["msg"] for e in errors)
    listed = await client.get("/v1/cases", headers=admin_headers)
    assert listed.json()["items"] == []


async def test_road_and_light_may_be_left_out(file_report, report_body) -> None:
    body = report_body()
    del body["road_surface"], body["light"]

    case = (await file_report(body)).json()

    assert (case["road_surface"], case["light"]) == (None, None)


def _late(report_body, hours: float) -> dict:
    return report_body(occurred_at=(datetime.now(UTC) - timedelta(hours=hours)).isoformat())


async def test_a_report_older_than_the_window_is_filed_late_not_refused(
    file_report, report_body, client, app_headers, settings
) -> None:
    body = _late(report_body, settings.report_max_age_hours + 2)

    checked = await client.post("/v1/eligibility", json=body, headers=app_headers)
    filed = await file_report(body)

    assert checked.status_code == 200
    assert checked.json()["eligible"] is True
    assert checked.json()["late"] is True
    assert "3日内" in checked.json()["detail"] or "三日内" in checked.json()["detail"]
    assert "within 3 days" in checked.json()["detail"]
    assert "Stay at the scene" not in checked.json()["detail"]
    assert filed.status_code == 201, filed.text
    case = filed.json()
    assert case["late"] is True
    assert case["status"] == "awaiting_evidence"
    assert case["center_id"] == "dongchangfu"
    late = case["late_report"]
    assert late["taken_at"] is None
    assert late["notice"] == checked.json()["detail"]
    reported = datetime.fromisoformat(case["reported_at"])
    assert datetime.fromisoformat(late["decide_by"]) == reported + timedelta(days=3)
    events = (await client.get(f"/v1/cases/{case['id']}/events", headers=app_headers)).json()
    assert events["items"][0]["data"]["late"] is True


async def test_a_report_within_the_window_is_not_late(file_report, report_body, settings) -> None:
    case = (await file_report(_late(report_body, settings.report_max_age_hours - 1))).json()
    assert case["late"] is False


async def test_a_late_report_that_is_not_eligible_is_still_refused(
    file_report, report_body
) -> None:
    body = _late(report_body, 48)
    body["injuries"] = True

    refused = await file_report(body)

    assert refused.status_code == 422
    assert refused.json()["reasons"] == ["injuries"]


def test_the_example_report_is_complete() -> None:
    """The Swagger example shows every field of the record (issue 13)."""
    example = copy.deepcopy(EXAMPLE_REPORT)
    for field in ("weather", "road_surface", "light", "accident_form"):
        assert example[field]
    parties = example["parties"]
    assert all(p["collision_points"] and p["compulsory_policy"] for p in parties)
    assert any("owner" in p for p in parties)
    assert any(
        p.get("commercial_policy", {}).get("insurer")
        not in (None, p["compulsory_policy"]["insurer"])
        for p in parties
    )

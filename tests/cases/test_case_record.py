"""The shared case record: who sees which case, masking, listing, the timeline."""

from __future__ import annotations

import pytest

from accident_online.auth.principal import Principal
from accident_online.models.user import Role


def principal(role: Role, **kwargs: str) -> Principal:
    return Principal(subject=f"partner:{kwargs.get('partner_id')}", role=role, **kwargs)  # type: ignore[arg-type]


async def test_each_role_sees_what_it_needs_and_no_more(
    client, file_report, make_partner, auth_headers, admin_headers, make_officer
) -> None:
    await make_partner("picc-lc", kind="insurer", insurer_codes=["PICC"])
    await make_partner("cpic-lc", kind="insurer", insurer_codes=["CPIC"])
    case = (await file_report()).json()
    url = f"/v1/cases/{case['id']}"

    as_admin = (await client.get(url, headers=admin_headers)).json()
    officer = await make_officer("officer.dcf", "dongchangfu")
    as_officer = (await client.get(url, headers=officer.headers)).json()
    as_picc = (
        await client.get(url, headers=auth_headers(principal(Role.insurer, partner_id="picc-lc")))
    ).json()

    full, other = as_picc["parties"]
    assert full["id_number"] == "371502199001011234"
    assert full["masked"] is False
    assert other["id_number"] == "3715**********2346"
    assert other["masked"] is True
    assert other["phone"] == "159****0002"
    assert other["name"] == "李*"
    for party in as_admin["parties"]:
        assert party["masked"] is True
        assert "*" in party["id_number"]
        assert "*" in party["phone"]
    for party in as_officer["parties"]:
        assert party["masked"] is False
    assert as_admin["parties"][0]["plate"] == "鲁P12345"


@pytest.mark.parametrize(
    "outsider",
    [
        None,  # an officer of another center
        principal(Role.app, partner_id="app-other"),
        principal(Role.insurer, partner_id="ping-an"),
        principal(Role.mediation, partner_id="mediation-lc"),
        principal(Role.court, partner_id="court-lc"),
    ],
)
async def test_a_case_that_is_not_yours_is_404(
    client, file_report, auth_headers, make_partner, make_officer, outsider
) -> None:
    case = (await file_report()).json()
    if outsider is None:
        headers = (await make_officer("officer.lq", "linqing")).headers
    else:
        await make_partner(outsider.partner_id, kind=outsider.role.value)
        headers = auth_headers(outsider)

    shown = await client.get(f"/v1/cases/{case['id']}", headers=headers)
    events = await client.get(f"/v1/cases/{case['id']}/events", headers=headers)
    listed = await client.get("/v1/cases", headers=headers)

    assert shown.status_code == 404
    assert shown.json()["code"] == "case-not-found"
    assert events.status_code == 404
    assert listed.json()["items"] == []


async def test_unknown_and_malformed_case_ids(client, admin_headers) -> None:
    unknown = await client.get(
        "/v1/cases/00000000-0000-4000-8000-000000000000", headers=admin_headers
    )
    malformed = await client.get("/v1/cases/not-a-uuid", headers=admin_headers)
    assert unknown.status_code == 404
    assert malformed.status_code == 422


async def test_list_filters_and_pages(
    client, admin_headers, app_headers, file_report, report_body
) -> None:
    plates = ["鲁P10001", "鲁P10002", "鲁P10003"]
    for plate in plates:
        body = report_body()
        body["parties"][0]["plate"] = plate  # type: ignore[index]
        await file_report(body)

    first = (await client.get("/v1/cases?limit=2", headers=app_headers)).json()
    second = (
        await client.get(f"/v1/cases?limit=2&cursor={first['next_cursor']}", headers=app_headers)
    ).json()
    by_plate = (
        await client.get("/v1/cases", params={"plate": "鲁p·10002"}, headers=admin_headers)
    ).json()
    by_status = (await client.get("/v1/cases?status=queued", headers=admin_headers)).json()
    by_center = (await client.get("/v1/cases?center_id=dongchangfu", headers=admin_headers)).json()
    future = (
        await client.get(
            "/v1/cases", params={"since": "2099-01-01T00:00:00+08:00"}, headers=admin_headers
        )
    ).json()
    bad_status = await client.get("/v1/cases?status=lost", headers=admin_headers)

    seen = [item["plates"][0] for item in first["items"] + second["items"]]
    assert seen == list(reversed(plates))  # newest first
    assert second["next_cursor"] is None
    assert [item["plates"][0] for item in by_plate["items"]] == ["鲁P10002"]
    assert by_status["items"] == []
    assert len(by_center["items"]) == 3
    assert future["items"] == []
    assert bad_status.status_code == 422
    assert "id_number" not in str(first)


async def test_etag_is_the_version(client, app_headers, file_report) -> None:
    case = (await file_report()).json()
    response = await client.get(f"/v1/cases/{case['id']}", headers=app_headers)
    assert response.headers["etag"] == f'"{case["version"]}"'
    assert case["version"] == 3  # created, then reported and routed

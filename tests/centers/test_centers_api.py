"""GET/PATCH /v1/centers and routing of new reports through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

CENTER_IDS = [
    "chiping",
    "dongchangfu",
    "donge",
    "gaotang",
    "guanxian",
    "linqing",
    "shenxian",
    "yanggu",
    "zones",
]


async def patch_center(client, admin_headers, center_id: str, **changes: object) -> None:
    response = await client.patch(f"/v1/centers/{center_id}", json=changes, headers=admin_headers)
    assert response.status_code == 200, response.text


async def open_all_day(client, admin_headers) -> None:
    for center_id in CENTER_IDS:
        await patch_center(
            client, admin_headers, center_id, hours={"opens": "00:00", "closes": "00:00"}
        )


async def test_nine_centers_cover_every_liaocheng_district(client, officer_headers) -> None:
    response = await client.get("/v1/centers", headers=officer_headers)

    centers = response.json()
    assert response.status_code == 200
    assert [c["id"] for c in centers] == CENTER_IDS
    districts = sorted(d for c in centers for d in c["districts"])
    assert districts == sorted(
        [
            "371502",
            "371503",
            "371521",
            "371522",
            "371524",
            "371525",
            "371526",
            "371581",
            "kfq",
            "gxq",
            "dujiaqu",
        ]
    )
    assert all(c["queue_depth"] == 0 and c["online"] for c in centers)


async def test_only_admins_change_centers(client, officer_headers, admin_headers) -> None:
    refused = await client.patch(
        "/v1/centers/zones", json={"online": False}, headers=officer_headers
    )
    unknown = await client.patch(
        "/v1/centers/atlantis", json={"online": False}, headers=admin_headers
    )
    invalid = await client.patch(
        "/v1/centers/zones",
        json={"hours": {"opens": "25:00", "closes": "08:00"}},
        headers=admin_headers,
    )
    negative = await client.patch("/v1/centers/zones", json={"capacity": -1}, headers=admin_headers)
    anonymous = await client.get("/v1/centers")

    assert refused.status_code == 403
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "center-not-found"
    assert invalid.status_code == 422
    assert negative.status_code == 422
    assert anonymous.status_code == 401


async def test_report_goes_to_the_home_center(
    client, admin_headers, file_report, report_body
) -> None:
    body = report_body()
    body["location"]["district"] = "kfq"  # type: ignore[index]
    await open_all_day(client, admin_headers)

    case = (await file_report(body)).json()

    assert (case["center_id"], case["routing_reason"]) == ("zones", "jurisdiction")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"online": False}, "offline"),
        ({"capacity": 0}, "overflow"),
    ],
)
async def test_report_overflows_to_the_least_loaded_open_center(
    client, admin_headers, file_report, change, reason
) -> None:
    await open_all_day(client, admin_headers)
    await patch_center(client, admin_headers, "dongchangfu", **change)
    # chiping gets a bigger capacity, so the same queue (none) ... all loads are 0: id decides
    case = (await file_report()).json()

    assert case["home_center_id"] == "dongchangfu"
    assert (case["center_id"], case["routing_reason"]) == ("chiping", reason)


async def test_lowest_load_wins_and_queue_depth_counts(
    client, admin_headers, officer_headers, file_report
) -> None:
    await open_all_day(client, admin_headers)
    for center_id in CENTER_IDS:
        if center_id not in {"dongchangfu", "linqing", "chiping"}:
            await patch_center(client, admin_headers, center_id, online=False)
    await patch_center(client, admin_headers, "dongchangfu", capacity=0)
    await patch_center(client, admin_headers, "chiping", capacity=1)
    await patch_center(client, admin_headers, "linqing", capacity=100)

    first = (await file_report()).json()

    assert first["center_id"] == "chiping"  # both empty: the lower id
    assert first["routing_reason"] == "overflow"


async def test_closed_home_center_routes_to_an_open_one(client, admin_headers, file_report) -> None:
    await open_all_day(client, admin_headers)
    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    opens = (local + timedelta(hours=1)).strftime("%H:%M")
    closes = (local + timedelta(hours=2)).strftime("%H:%M")
    await patch_center(
        client, admin_headers, "dongchangfu", hours={"opens": opens, "closes": closes}
    )

    case = (await file_report()).json()

    assert (case["center_id"], case["routing_reason"]) == ("chiping", "closed")


async def test_no_center_open_keeps_the_home_center(client, admin_headers, file_report) -> None:
    for center_id in CENTER_IDS:
        await patch_center(client, admin_headers, center_id, online=False)

    response = await file_report()

    assert response.status_code == 201
    assert (response.json()["center_id"], response.json()["routing_reason"]) == (
        "dongchangfu",
        "no_center_open",
    )

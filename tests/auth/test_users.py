"""POST/GET /v1/admin/users."""

from __future__ import annotations

import pytest


async def test_admin_creates_an_officer_who_can_then_sign_in(client, admin_headers) -> None:
    created = await client.post(
        "/v1/admin/users",
        json={
            "username": "officer.chen",
            "password": "photos-and-statements",
            "role": "officer",
            "center_id": "gaotang",
            "display_name": " 陈志强 ",
            "badge_number": "371502",
        },
        headers=admin_headers,
    )
    listed = await client.get("/v1/admin/users", headers=admin_headers)
    located = await client.get(created.headers["Location"], headers=admin_headers)
    unknown = await client.get("/v1/admin/users/nobody", headers=admin_headers)
    token = await client.post(
        "/v1/auth/token",
        data={
            "grant_type": "password",
            "username": "officer.chen",
            "password": "photos-and-statements",
        },
    )

    assert created.status_code == 201
    assert created.headers["Location"] == "/v1/admin/users/officer.chen"
    assert located.status_code == 200, located.text
    assert located.json() == created.json()
    assert (unknown.status_code, unknown.json()["code"]) == (404, "user-not-found")
    body = created.json()
    assert body["username"] == "officer.chen"
    assert body["center_id"] == "gaotang"
    assert (body["display_name"], body["badge_number"]) == ("陈志强", "371502")
    assert [
        (u["display_name"], u["badge_number"])
        for u in listed.json()["items"]
        if u["username"] == "officer.chen"
    ] == [("陈志强", "371502")]
    assert "password" not in created.text
    assert "hash" not in created.text
    assert token.status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"username": "o1", "password": "long-enough-pass", "role": "officer"}, 422, None),
        (
            {"username": "officer1", "password": "long-enough-pass", "role": "officer"},
            422,
            "validation-error",
        ),
        (
            {
                "username": "officer1",
                "password": "long-enough-pass",
                "role": "officer",
                "center_id": "atlantis",
            },
            422,
            "unknown-center",
        ),
        (
            {
                "username": "admin2",
                "password": "long-enough-pass",
                "role": "admin",
                "center_id": "linqing",
            },
            422,
            "validation-error",
        ),
        (
            {"username": "officer1", "password": "short", "role": "officer", "center_id": "zones"},
            422,
            "validation-error",
        ),
        (
            {"username": "officer1", "password": "long-enough-pass", "role": "superuser"},
            422,
            "validation-error",
        ),
        (
            {
                "username": "officer1",
                "password": "long-enough-pass",
                "role": "officer",
                "center_id": "zones",
                "display_name": "   ",
            },
            422,
            "validation-error",
        ),
        (
            {
                "username": "officer1",
                "password": "long-enough-pass",
                "role": "officer",
                "center_id": "zones",
                "display_name": "王" * 65,
            },
            422,
            "validation-error",
        ),
        (
            {
                "username": "officer1",
                "password": "long-enough-pass",
                "role": "officer",
                "center_id": "zones",
                "badge_number": "37 15-02",
            },
            422,
            "validation-error",
        ),
        (
            {
                "username": "officer1",
                "password": "long-enough-pass",
                "role": "officer",
                "center_id": "zones",
                "badge_number": 371502,
            },
            422,
            "validation-error",
        ),
    ],
)
async def test_invalid_accounts_are_refused_and_nothing_is_stored(
    client, admin_headers, body, status, code
) -> None:
    response = await client.post("/v1/admin/users", json=body, headers=admin_headers)
    listing = await client.get("/v1/admin/users", headers=admin_headers)

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    if code:
        assert response.json()["code"] == code
    assert [user["username"] for user in listing.json()["items"]] == ["test-admin"]


async def test_accounts_without_a_display_name_read_as_none(
    client, admin_headers, make_user
) -> None:
    await make_user("officer.wu")

    listed = await client.get("/v1/admin/users", headers=admin_headers)

    assert [
        (u["display_name"], u["badge_number"])
        for u in listed.json()["items"]
        if u["username"] == "officer.wu"
    ] == [(None, None)]


async def test_duplicate_username_is_409(client, admin_headers, make_user) -> None:
    await make_user("officer.wu")
    response = await client.post(
        "/v1/admin/users",
        json={
            "username": "officer.wu",
            "password": "long-enough-pass",
            "role": "officer",
            "center_id": "zones",
        },
        headers=admin_headers,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "username-taken"


async def test_users_list_pages_by_username(client, admin_headers, make_user) -> None:
    for name in ("c.officer", "a.officer", "b.officer"):
        await make_user(name)

    first = await client.get("/v1/admin/users?limit=2", headers=admin_headers)
    second = await client.get(
        f"/v1/admin/users?limit=2&cursor={first.json()['next_cursor']}", headers=admin_headers
    )

    assert [u["username"] for u in first.json()["items"]] == ["a.officer", "b.officer"]
    assert [u["username"] for u in second.json()["items"]] == ["c.officer", "test-admin"]
    assert second.json()["next_cursor"] is None

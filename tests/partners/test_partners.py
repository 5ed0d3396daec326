"""POST/GET /v1/partners: secrets shown once, never again."""

from __future__ import annotations

import base64

import pytest


async def test_register_partner_returns_secrets_once(client, admin_headers) -> None:
    created = await client.post(
        "/v1/partners",
        json={
            "id": "picc-liaocheng",
            "kind": "insurer",
            "name": "中国人民财产保险 聊城市分公司",
            "webhook_url": "https://claims.picc.example/hooks",
            "insurer_codes": ["PICC", "PICC-LC"],
        },
        headers=admin_headers,
    )
    shown = await client.get("/v1/partners/picc-liaocheng", headers=admin_headers)
    listed = await client.get("/v1/partners", headers=admin_headers)

    assert created.status_code == 201
    assert created.headers["location"] == "/v1/partners/picc-liaocheng"
    body = created.json()
    assert body["client_id"] == "picc-liaocheng"
    assert len(body["client_secret"]) >= 32
    assert body["webhook_secret"].startswith("whsec_")
    assert len(base64.b64decode(body["webhook_secret"].removeprefix("whsec_"))) == 32
    assert body["name"] == "中国人民财产保险 聊城市分公司"
    assert shown.status_code == 200
    assert shown.json()["insurer_codes"] == ["PICC", "PICC-LC"]
    for response in (shown, listed):
        assert body["client_secret"] not in response.text
        assert body["webhook_secret"] not in response.text
        assert "secret" not in response.text
    assert [p["id"] for p in listed.json()["items"]] == ["picc-liaocheng"]


async def test_unknown_partner_is_404_problem(client, admin_headers) -> None:
    response = await client.get("/v1/partners/nobody", headers=admin_headers)
    assert response.status_code == 404
    assert response.json()["code"] == "partner-not-found"


async def test_duplicate_id_and_taken_insurer_code_are_409(
    client, admin_headers, make_partner
) -> None:
    await make_partner("cpic", kind="insurer", insurer_codes=["CPIC"])

    same_id = await client.post(
        "/v1/partners", json={"id": "cpic", "kind": "app", "name": "X"}, headers=admin_headers
    )
    same_code = await client.post(
        "/v1/partners",
        json={"id": "cpic-2", "kind": "insurer", "name": "Y", "insurer_codes": ["CPIC"]},
        headers=admin_headers,
    )
    listed = await client.get("/v1/partners", headers=admin_headers)

    assert same_id.status_code == 409
    assert same_id.json()["code"] == "partner-exists"
    assert same_code.status_code == 409
    assert same_code.json()["code"] == "insurer-code-taken"
    assert [p["id"] for p in listed.json()["items"]] == ["cpic"]


@pytest.mark.parametrize(
    "body",
    [
        {"id": "Bad Id", "kind": "app", "name": "X"},
        {"id": "ok-id", "kind": "garage", "name": "X"},
        {"id": "ok-id", "kind": "app", "name": ""},
        {"id": "ok-id", "kind": "app", "name": "X", "insurer_codes": ["PICC"]},
        {"id": "ok-id", "kind": "app", "name": "X", "webhook_url": "ftp://example.org/x"},
        {"id": "ok-id", "kind": "insurer", "name": "X", "insurer_codes": ["A", "A"]},
        {"id": "ok-id", "kind": "insurer", "name": "X", "insurer_codes": ["picc", "PICC"]},
        # As the document's pattern says: no spaces, letters of other scripts, or dots.
        {"id": "ok-id", "kind": "insurer", "name": "X", "insurer_codes": [" PICC"]},
        {"id": "ok-id", "kind": "insurer", "name": "X", "insurer_codes": ["人保"]},
        {"id": "ok-id", "kind": "insurer", "name": "X", "insurer_codes": ["P.ICC"]},
    ],
)
async def test_invalid_partner_is_422_and_nothing_stored(client, admin_headers, body) -> None:
    response = await client.post("/v1/partners", json=body, headers=admin_headers)
    listed = await client.get("/v1/partners", headers=admin_headers)

    assert response.status_code == 422
    assert response.json()["code"] == "validation-error"
    assert response.json()["errors"]
    assert listed.json()["items"] == []


async def test_partner_list_pages(client, admin_headers, make_partner) -> None:
    for partner_id in ("court-lc", "app-lc", "mediation-lc"):
        await make_partner(partner_id, kind=partner_id.split("-")[0])

    first = await client.get("/v1/partners?limit=2", headers=admin_headers)
    second = await client.get(
        "/v1/partners",
        params={"limit": 2, "cursor": first.json()["next_cursor"]},
        headers=admin_headers,
    )
    bad_cursor = await client.get("/v1/partners?cursor=%%%", headers=admin_headers)
    too_many = await client.get("/v1/partners?limit=201", headers=admin_headers)

    assert [p["id"] for p in first.json()["items"]] == ["app-lc", "court-lc"]
    assert [p["id"] for p in second.json()["items"]] == ["mediation-lc"]
    assert bad_cursor.status_code == 400
    assert too_many.status_code == 422

"""Role checks on the admin routes: 401 without a token, 403 for every other role."""

from __future__ import annotations

import pytest

from accident_online.auth.principal import Principal
from accident_online.auth.service import principal_for_user
from accident_online.models.user import Role

OTHER_ROLES = [
    Principal(subject="user:o", role=Role.officer, center_id="dongchangfu"),
    Principal(subject="partner:app", role=Role.app, partner_id="app"),
    Principal(subject="partner:ins", role=Role.insurer, partner_id="ins"),
    Principal(subject="partner:med", role=Role.mediation, partner_id="med"),
    Principal(subject="partner:court", role=Role.court, partner_id="court"),
]
ADMIN_ROUTES = [
    ("GET", "/v1/partners", None),
    ("GET", "/v1/partners/picc", None),
    ("POST", "/v1/partners", {"id": "x1", "kind": "app", "name": "X"}),
    ("GET", "/v1/admin/users", None),
    ("POST", "/v1/admin/users/officer.o/disable", None),
    ("POST", "/v1/partners/app/disable", None),
    (
        "POST",
        "/v1/admin/users",
        {"username": "someone", "password": "long-enough-pass", "role": "admin"},
    ),
]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
async def test_admin_routes_refuse_other_roles(
    client, auth_headers, make_user, make_partner, method, path, body
) -> None:
    officer = await make_user("officer.o")
    for partner in OTHER_ROLES[1:]:
        await make_partner(partner.partner_id, kind=partner.role.value)
    anonymous = await client.request(method, path, json=body)
    assert anonymous.status_code == 401

    for principal in [principal_for_user(officer), *OTHER_ROLES[1:]]:
        response = await client.request(method, path, json=body, headers=auth_headers(principal))
        assert response.status_code == 403, principal.role
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "forbidden"

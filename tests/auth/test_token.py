"""POST /v1/auth/token: both grants, bad credentials, lockout, and the tokens' use."""

from __future__ import annotations

import base64

import httpx
import jwt

from accident_online.models.user import UserRole

PROBLEM = "application/problem+json"


async def sign_in(client: httpx.AsyncClient, **form: str) -> httpx.Response:
    return await client.post("/v1/auth/token", data=form)


async def test_password_grant_gives_a_token_with_role_and_center(client, make_user) -> None:
    await make_user("officer.li", password="liability-from-photos", center_id="linqing")

    response = await sign_in(
        client, grant_type="password", username="officer.li", password="liability-from-photos"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["role"] == "officer"
    assert claims["center"] == "linqing"
    assert "partner" not in claims


async def test_admin_token_opens_admin_routes(client, make_user) -> None:
    await make_user("root", password="an-admin-password", role=UserRole.admin)
    token = (
        await sign_in(client, grant_type="password", username="root", password="an-admin-password")
    ).json()["access_token"]

    response = await client.get("/v1/partners", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


async def test_client_credentials_grant_in_form_and_as_basic(client, make_partner) -> None:
    partner = await make_partner("picc", kind="insurer", insurer_codes=["PICC"])

    in_form = await sign_in(
        client,
        grant_type="client_credentials",
        client_id=partner.client_id,
        client_secret=partner.client_secret,
    )
    basic = base64.b64encode(f"{partner.client_id}:{partner.client_secret}".encode()).decode()
    as_basic = await client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )

    for response in (in_form, as_basic):
        assert response.status_code == 200, response.text
        claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
        assert claims["role"] == "insurer"
        assert claims["partner"] == "picc"


async def test_wrong_password_unknown_user_and_wrong_secret_are_401(
    client, make_user, make_partner
) -> None:
    await make_user("officer.zhao", password="the-right-password")
    partner = await make_partner("app-backend")

    attempts = [
        {"grant_type": "password", "username": "officer.zhao", "password": "the-wrong-password"},
        {"grant_type": "password", "username": "nobody", "password": "whatever-password"},
        {
            "grant_type": "client_credentials",
            "client_id": partner.client_id,
            "client_secret": "not-the-secret",
        },
        {"grant_type": "client_credentials", "client_id": "no-such-client", "client_secret": "x"},
    ]
    for form in attempts:
        response = await sign_in(client, **form)
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "invalid-credentials"
        assert "access_token" not in response.text


async def test_unsupported_grant_and_missing_fields_are_400(client) -> None:
    unsupported = await sign_in(client, grant_type="authorization_code", code="x")
    missing = await sign_in(client, grant_type="password", username="someone")
    no_grant = await sign_in(client, username="someone", password="x")

    assert unsupported.status_code == 400
    assert unsupported.json()["code"] == "unsupported-grant-type"
    assert missing.status_code == 400
    assert missing.json()["code"] == "invalid-request"
    assert no_grant.status_code == 422
    assert no_grant.json()["errors"][0]["loc"] == ["body", "grant_type"]


async def test_repeated_failures_lock_the_account_for_a_while(client, make_user) -> None:
    await make_user("officer.sun", password="the-right-password")

    for _ in range(5):
        failed = await sign_in(
            client, grant_type="password", username="officer.sun", password="guess-guess-guess"
        )
        assert failed.status_code == 401
    locked = await sign_in(
        client, grant_type="password", username="officer.sun", password="the-right-password"
    )

    assert locked.status_code == 429
    assert locked.json()["code"] == "sign-in-locked"
    assert 1 <= int(locked.headers["Retry-After"]) <= 900


async def test_a_success_resets_the_failure_count(client, make_user) -> None:
    await make_user("officer.he", password="the-right-password")
    for _ in range(4):
        await sign_in(client, grant_type="password", username="officer.he", password="wrong-one")
    ok = await sign_in(
        client, grant_type="password", username="officer.he", password="the-right-password"
    )
    for _ in range(4):
        await sign_in(client, grant_type="password", username="officer.he", password="wrong-one")
    still_ok = await sign_in(
        client, grant_type="password", username="officer.he", password="the-right-password"
    )

    assert ok.status_code == 200
    assert still_ok.status_code == 200


async def test_missing_malformed_expired_and_forged_tokens_are_401(client, settings) -> None:
    expired = jwt.encode(
        {"sub": "user:x", "role": "admin", "iss": "accident-online", "iat": 1, "exp": 2},
        settings.jwt_secret.get_secret_value(),
        algorithm="HS256",
    )
    forged = jwt.encode(
        {"sub": "user:x", "role": "admin", "iss": "accident-online", "iat": 1, "exp": 2**40},
        "another-key-" * 4,
        algorithm="HS256",
    )
    cases = {
        "missing": {},
        "not bearer": {"Authorization": "Basic Zm9vOmJhcg=="},
        "garbage": {"Authorization": "Bearer not-a-jwt"},
        "expired": {"Authorization": f"Bearer {expired}"},
        "forged": {"Authorization": f"Bearer {forged}"},
    }
    for name, headers in cases.items():
        response = await client.get("/v1/partners", headers=headers)
        assert response.status_code == 401, name
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["www-authenticate"] == "Bearer"

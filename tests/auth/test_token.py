"""POST /v1/auth/token: both grants, bad credentials, lockout, and the tokens' use."""

from __future__ import annotations

import base64
import time

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
    # People get a token for a shift (PERSON_TOKEN_TTL_SECONDS).
    assert body["expires_in"] == 43200
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
        assert response.json()["expires_in"] == 3600  # partners keep short tokens
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
        # RFC 6749 §5.2, for OAuth clients such as Swagger UI's Authorize dialog.
        expected = "invalid_grant" if form["grant_type"] == "password" else "invalid_client"
        assert response.json()["error"] == expected
        assert response.json()["error_description"] == response.json()["detail"]


async def test_unsupported_grant_and_missing_fields_are_400(client) -> None:
    unsupported = await sign_in(client, grant_type="authorization_code", code="x")
    missing = await sign_in(client, grant_type="password", username="someone")
    no_grant = await sign_in(client, username="someone", password="x")

    assert unsupported.status_code == 400
    assert unsupported.json()["code"] == "unsupported-grant-type"
    assert unsupported.json()["error"] == "unsupported_grant_type"
    assert missing.status_code == 400
    assert missing.json()["code"] == "invalid-request"
    assert missing.json()["error"] == "invalid_request"
    assert no_grant.status_code == 400
    assert no_grant.json()["error"] == "invalid_request"
    assert "grant_type" in no_grant.json()["error_description"]


async def test_repeated_failures_pause_that_address_and_say_how_many_are_left(
    client, make_user
) -> None:
    await make_user("officer.sun", password="the-right-password")

    failures = []
    for _ in range(5):
        failed = await sign_in(
            client, grant_type="password", username="officer.sun", password="guess-guess-guess"
        )
        assert failed.status_code == 401
        failures.append(failed.json()["error_description"])
    locked = await sign_in(
        client, grant_type="password", username="officer.sun", password="the-right-password"
    )

    # The officer reads it in Chinese (no Accept-Language), in the Authorize dialog.
    assert "还剩 4 次尝试机会" in failures[0]
    assert "再失败 1 次" in failures[3]
    assert "现已暂停" in failures[4]
    assert locked.status_code == 429
    assert locked.json()["code"] == "sign-in-locked"
    assert locked.json()["error"] == "invalid_grant"
    assert 1 <= int(locked.headers["Retry-After"]) <= 60


def client_at(app, address: str) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_failures_from_another_address_do_not_lock_the_officer_out(app, make_user) -> None:
    await make_user("officer.gao", password="the-right-password")
    async with client_at(app, "203.0.113.66") as attacker, client_at(app, "10.1.2.3") as desk:
        for _ in range(8):
            await sign_in(
                attacker, grant_type="password", username="officer.gao", password="guess-guess"
            )
        attacker_locked = await sign_in(
            attacker, grant_type="password", username="officer.gao", password="the-right-password"
        )
        officer = await sign_in(
            desk, grant_type="password", username="officer.gao", password="the-right-password"
        )

    assert attacker_locked.status_code == 429
    assert officer.status_code == 200


async def test_the_backoff_grows_with_repeated_pauses(app, make_user) -> None:
    from accident_online.auth.lockout import SignInPolicy

    policy = SignInPolicy(max_failures=5, lockout_seconds=60, name_throttle_failures=50)
    # 5 failures in a minute pause for up to a minute; 10 in 15 minutes for up to 15
    # minutes; 20 in 3 h 45 min for up to that long.
    assert [(t.amount, t.get_expiry()) for t in policy.tiers] == [
        (5, 60),
        (10, 900),
        (20, 13500),
    ]
    # An address that reached the second tier (as if it had come back after each pause)
    # is told to wait for the second tier's window, not the first one's. The sliding-window
    # counter's windows are aligned to the clock (900 s: the quarter hours): ten failures
    # in the current one keep it out until that window ends (then they count at their
    # weight, just under ten), so the wait is the rest of the quarter hour, which is
    # under a minute only in its last minute.
    key = ("sign-in-failures", "user", "officer.lu", "203.0.113.9")
    assert await app.state.limits.hit(policy.tiers[1], *key, cost=10)
    async with client_at(app, "203.0.113.9") as attacker:
        await make_user("officer.lu", password="the-right-password")
        paused = await sign_in(
            attacker, grant_type="password", username="officer.lu", password="the-right-password"
        )
        rest_of_window = 900 - time.time() % 900
    assert paused.status_code == 429
    assert abs(int(paused.headers["Retry-After"]) - rest_of_window) <= 2


async def test_a_partner_is_never_locked_by_someone_elses_failures(app, make_partner) -> None:
    partner = await make_partner("app-target")
    wrong = {"grant_type": "client_credentials", "client_id": "app-target", "client_secret": "x"}
    async with client_at(app, "203.0.113.50") as attacker, client_at(app, "10.9.9.9") as own:
        attempts = [await sign_in(attacker, **wrong) for _ in range(25)]
        right = await sign_in(
            own,
            grant_type="client_credentials",
            client_id=partner.client_id,
            client_secret=partner.client_secret,
        )

    assert attempts[0].status_code == 401
    assert attempts[-1].status_code == 429  # the attacker's address is paused
    assert right.status_code == 200


async def test_a_name_under_attack_slows_failing_addresses_but_not_a_clean_one(
    settings_for, database_url, database, make_user
) -> None:
    from accident_online.app import create_app

    app = create_app(
        settings_for(database_url, sign_in_name_throttle_failures=3), database=database
    )
    await make_user("officer.kong", password="the-right-password")
    wrong = {"grant_type": "password", "username": "officer.kong", "password": "guess-guess"}
    right = {**wrong, "password": "the-right-password"}
    for n in range(3):
        async with client_at(app, f"198.51.100.{n}") as bot:
            assert (await sign_in(bot, **wrong)).status_code == 401
    async with client_at(app, "198.51.100.77") as bot, client_at(app, "10.0.0.5") as desk:
        once = await sign_in(bot, **wrong)
        again = await sign_in(bot, **wrong)
        officer = await sign_in(desk, **right)

    assert once.status_code == 401
    assert again.status_code == 429  # one failure per address and pause while under attack
    assert officer.status_code == 200


async def test_usernames_are_case_insensitive(client, make_user, admin_headers) -> None:
    created = await make_user("Officer.Ma", password="the-right-password")
    signed_in = await sign_in(
        client, grant_type="password", username="OFFICER.MA", password="the-right-password"
    )
    duplicate = await client.post(
        "/v1/admin/users",
        json={
            "username": "officer.MA",
            "password": "long-enough-pass",
            "role": "officer",
            "center_id": "linqing",
        },
        headers=admin_headers,
    )

    assert created.username == "officer.ma"
    assert signed_in.status_code == 200
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "username-taken"


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


async def test_form_errors_carry_the_oauth_error_too(client) -> None:
    """Every 422 of the token endpoint is a token error as well (RFC 6749 §5.2)."""
    basic_with_nul = base64.b64encode(b"client\x00id:secret").decode()
    failures = {
        "a form field over its length": await sign_in(
            client, grant_type="password", username="u" * 65, password="x"
        ),
        "a control character in a field": await sign_in(
            client, grant_type="password", username="officer\x00", password="x"
        ),
        "a control character in HTTP Basic": await client.post(
            "/v1/auth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic_with_nul}"},
        ),
    }
    for case, response in failures.items():
        assert response.status_code == 422, case
        assert response.headers["content-type"] == PROBLEM, case
        problem = response.json()
        assert problem["code"] == "validation-error", case
        assert problem["errors"], case
        assert problem["error"] == "invalid_request", case
        # People read it in Chinese, as the detail it repeats.
        assert problem["error_description"] == problem["detail"], case
        assert any("\u4e00" <= c <= "\u9fff" for c in problem["error_description"]), case

    english = await client.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": "u" * 65, "password": "x"},
        headers={"Accept-Language": "en"},
    )
    assert english.json()["error_description"] == "The request has invalid fields; see errors."
    assert english.json()["errors"][0]["loc"] == ["body", "username"]

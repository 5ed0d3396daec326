"""Every error a client can get is an RFC 9457 problem document."""

from __future__ import annotations

import logging

import httpx
import pytest

PROBLEM = "application/problem+json"
FIELDS = {"type", "title", "status", "detail", "instance", "code"}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body.keys() >= FIELDS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"https://accident-online.example/problems/{code}"
    assert isinstance(body["detail"], str)
    return body


async def test_unknown_path_is_404_problem(client) -> None:
    body = assert_problem(await client.get("/v1/no-such-thing"), 404, "not-found")
    assert body["instance"] == "/v1/no-such-thing"


async def test_wrong_method_is_405_problem_with_allow(client) -> None:
    response = await client.delete("/healthz")
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["allow"]


async def test_invalid_fields_are_422_with_locations(client, admin_headers) -> None:
    response = await client.post(
        "/v1/admin/users", json={"username": "x", "role": "pilot"}, headers=admin_headers
    )
    body = assert_problem(response, 422, "validation-error")
    locations = {tuple(error["loc"]) for error in body["errors"]}
    assert ("body", "username") in locations
    assert ("body", "password") in locations
    assert ("body", "role") in locations
    assert all(error["msg"] for error in body["errors"])


async def test_malformed_json_is_422_problem(client, admin_headers) -> None:
    response = await client.post(
        "/v1/partners",
        content=b'{"id": "x", ',
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert_problem(response, 422, "validation-error")


async def test_unexpected_error_is_500_problem_with_correlation_id(
    app, client, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode() -> None:
        raise RuntimeError("secret internals: SELECT * FROM users")

    app.add_api_route("/test-only/explode", explode)
    with caplog.at_level(logging.ERROR, logger="accident_online.http"):
        response = await client.get("/test-only/explode", headers={"X-Request-ID": "trace-42"})

    body = assert_problem(response, 500, "internal-error")
    assert body["request_id"] == "trace-42"
    assert response.headers["x-request-id"] == "trace-42"
    assert "SELECT" not in response.text
    assert "RuntimeError" not in response.text
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged
    assert logged[0].exc_info is not None
    assert "secret internals" in str(logged[0].exc_info[1])


async def test_request_id_is_echoed_or_made(client) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    made = await client.get("/healthz")
    refused = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})

    assert given.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32
    assert refused.headers["x-request-id"] != "bad id with spaces"


async def test_openapi_declares_problems_and_both_oauth_flows(client) -> None:
    document = (await client.get("/openapi.json")).json()

    assert document["openapi"].startswith("3.1")
    flows = document["components"]["securitySchemes"]["OAuth2"]["flows"]
    assert flows["password"]["tokenUrl"] == "/v1/auth/token"
    assert flows["clientCredentials"]["tokenUrl"] == "/v1/auth/token"
    assert "HTTPValidationError" not in document["components"]["schemas"]
    error_responses = [
        response
        for path in document["paths"].values()
        for operation in path.values()
        for status, response in operation["responses"].items()
        if status == "default" or int(status) >= 400
    ]
    problem = {"$ref": "#/components/schemas/Problem"}

    def is_a_problem(schema: dict) -> bool:
        # The Problem itself, a Problem with its codes named, or one of several such.
        if schema.get("$ref") == "#/components/schemas/NotEligibleProblem":
            return document["components"]["schemas"]["NotEligibleProblem"]["allOf"] == [problem]
        if "oneOf" in schema:
            return all(is_a_problem(member) for member in schema["oneOf"])
        return schema == problem or schema.get("allOf") == [problem]

    assert error_responses
    for response in error_responses:
        assert list(response["content"]) == [PROBLEM]
        assert is_a_problem(response["content"][PROBLEM]["schema"]), response


async def test_swagger_ui_is_served(client) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.text

"""No control characters in any input, and no invisible or text-direction characters
where people read them as written (kit.inputs, kit.fields), on SQLite and PostgreSQL.

The table is the app's own OpenAPI document: every string parameter (path, query,
header) of every operation, every form field and every JSON body, so a new route or
parameter is probed without anyone adding it here. PostgreSQL refuses NUL in text, so
before the guard a NUL that reached a query there was a 500 where SQLite stored it.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest

CONTROLS = ["\x00", "\x01", "\x1b", "\x7f", "\x85"]
INVISIBLE = [
    "\u202e",
    "\u202a",
    "\u2066",
    "\u200e",
    "\u061c",
    "\u200b",
    "\u200d",
    "\u2060",
    "\ufeff",
]


def operations(app: Any) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    ]


def fill_path(path: str, values: dict[str, str]) -> str:
    """The path with each {name} replaced by its value (quoted), or by a uuid."""
    return re.sub(
        r"\{(\w+)\}", lambda m: quote(values.get(m.group(1), str(uuid.uuid4())), safe=""), path
    )


def string_parameters(operation: dict[str, Any], where: str) -> list[str]:
    names = []
    for parameter in operation.get("parameters", []):
        schemas = [parameter["schema"], *parameter["schema"].get("anyOf", [])]
        if parameter["in"] == where and any(s.get("type") == "string" for s in schemas):
            names.append(parameter["name"])
    return names


def refused_at(response: httpx.Response, loc: list[str | int], kind: str) -> bool:
    if response.status_code != 422 or response.headers["content-type"] != (
        "application/problem+json"
    ):
        return False
    errors = response.json().get("errors") or []
    return any(e["loc"] == loc and e.get("type") == kind for e in errors)


async def test_every_string_parameter_of_every_route_refuses_control_characters(
    client: httpx.AsyncClient, app: Any
) -> None:
    failures = []
    for method, path, operation in operations(app):
        for name in string_parameters(operation, "path"):
            for char in CONTROLS:
                url = fill_path(path, {name: f"a{char}b"})
                response = await client.request(method, url)
                if not refused_at(response, ["path", name], "string_control_character"):
                    failures.append((method, path, "path", name, repr(char), response.text))
        for name in string_parameters(operation, "query"):
            for char in CONTROLS:
                response = await client.request(
                    method, fill_path(path, {}), params={name: f"a{char}b"}
                )
                if not refused_at(response, ["query", name], "string_control_character"):
                    failures.append((method, path, "query", name, repr(char), response.text))
        for name in string_parameters(operation, "header"):
            response = await client.request(method, fill_path(path, {}), headers={name: "a\x01b"})
            if not refused_at(response, ["header", name.lower()], "string_control_character"):
                failures.append((method, path, "header", name, response.text))
    assert not failures


async def test_every_route_refuses_invisible_characters_in_path_and_query(
    client: httpx.AsyncClient, app: Any
) -> None:
    failures = []
    for method, path, operation in operations(app):
        for name in string_parameters(operation, "path"):
            for char in INVISIBLE:
                response = await client.request(method, fill_path(path, {name: f"a{char}b"}))
                if not refused_at(response, ["path", name], "string_invisible_character"):
                    failures.append((method, path, name, repr(char), response.text))
        for name in string_parameters(operation, "query"):
            response = await client.request(
                method, fill_path(path, {}), params={name: "PICC\u202e"}
            )
            if not refused_at(response, ["query", name], "string_invisible_character"):
                failures.append((method, path, name, response.text))
    assert not failures


async def test_every_json_body_and_form_refuses_control_characters(
    client: httpx.AsyncClient, app: Any
) -> None:
    failures = []
    for method, path, operation in operations(app):
        content = operation.get("requestBody", {}).get("content", {})
        url = fill_path(path, {})
        if "application/json" in content:
            for char in CONTROLS:
                for body, loc in (
                    ({"probe": f"a{char}b"}, ["body", "probe"]),
                    ({"outer": [{"inner": char}]}, ["body", "outer", 0, "inner"]),
                    ({f"key{char}": 1}, ["body", f"key{char}"]),
                ):
                    response = await client.request(method, url, json=body)
                    if not refused_at(response, loc, "string_control_character"):
                        failures.append((method, path, loc, response.text))
        if "application/x-www-form-urlencoded" in content:
            schema_ref = content["application/x-www-form-urlencoded"]["schema"]["$ref"]
            form = app.openapi()["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
            for name in form["properties"]:
                for char in CONTROLS:
                    data = {"grant_type": "password", name: f"a{char}b"}
                    response = await client.request(method, url, data=data)
                    if not refused_at(response, ["body", name], "string_control_character"):
                        failures.append((method, path, name, repr(char), response.text))
    assert not failures


@pytest.mark.parametrize("char", ["\x00", "\x08", "\x1f", "\x7f"])
async def test_a_report_with_a_control_character_is_refused_naming_the_field(
    client: httpx.AsyncClient, file_report, report_body, app_headers, char: str
) -> None:
    for field in ("name", "vehicle_type", "policy_number"):
        body = report_body()
        body["parties"][0][field] = f"张{char}三"  # type: ignore[index]
        response = await file_report(body)
        assert response.status_code == 422, response.text
        assert ["body", "parties", 0, field] in [e["loc"] for e in response.json()["errors"]]
    body = report_body(description=f"甲车{char}乙车")
    response = await file_report(body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "description"]
    listed = await client.get("/v1/cases", headers=app_headers)
    assert listed.json()["items"] == []


async def test_free_text_keeps_its_lines_and_drops_invisible_characters(
    client: httpx.AsyncClient, file_report, report_body, app_headers
) -> None:
    text = "\u202e乙车变道时\u200b与甲车\u200d刮擦。\n\t双方车辆可以移动。\u2066\ufeff"
    response = await file_report(report_body(description=text))
    assert response.status_code == 201, response.text
    case = (await client.get(f"/v1/cases/{response.json()['id']}", headers=app_headers)).json()
    assert case["description"] == "乙车变道时与甲车刮擦。\n\t双方车辆可以移动。"


@pytest.mark.parametrize("char", INVISIBLE)
async def test_names_and_plates_with_invisible_characters_are_refused(
    client: httpx.AsyncClient, file_report, report_body, app_headers, char: str
) -> None:
    for field, value in (
        ("name", f"张{char}三"),
        ("plate", f"鲁P{char}12345"),
        ("policy_number", f"PDZA{char}2026"),
    ):
        body = report_body()
        body["parties"][1][field] = value  # type: ignore[index]
        response = await file_report(body)
        assert response.status_code == 422, response.text
        assert ["body", "parties", 1, field] in [e["loc"] for e in response.json()["errors"]]
    body = report_body()
    body["location"]["address"] = f"东昌府区{char}柳园路"  # type: ignore[index]
    response = await file_report(body)
    assert response.status_code == 422
    assert (await client.get("/v1/cases", headers=app_headers)).json()["items"] == []


async def test_one_line_fields_refuse_line_breaks(
    client: httpx.AsyncClient, file_report, report_body, admin_headers
) -> None:
    body = report_body()
    body["parties"][0]["name"] = "张\n三"  # type: ignore[index]
    response = await file_report(body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "parties", 0, "name"]
    response = await client.post(
        "/v1/partners",
        json={"id": "picc", "kind": "insurer", "name": "人保\t财险", "insurer_codes": ["PICC"]},
        headers=admin_headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "string_control_character"


async def test_accounts_and_partners_refuse_hidden_characters(
    client: httpx.AsyncClient, admin_headers
) -> None:
    for body, loc in (
        ({"username": "officer.\u202ewang", "password": "a-long-enough-password",
          "role": "admin"}, ["body", "username"]),
        ({"username": "officer.li", "password": "a-long-enough-\x00password",
          "role": "admin"}, ["body", "password"]),
    ):  # fmt: skip
        response = await client.post("/v1/admin/users", json=body, headers=admin_headers)
        assert response.status_code == 422, response.text
        assert loc in [e["loc"] for e in response.json()["errors"]]
    for name in ("人保\u202e财险", "人保\u200b财险", "人保\x00财险"):
        response = await client.post(
            "/v1/partners",
            json={"id": "picc", "kind": "insurer", "name": name, "insurer_codes": ["PICC"]},
            headers=admin_headers,
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["body", "name"]
    response = await client.post(
        "/v1/partners",
        json={"id": "picc", "kind": "insurer", "name": "人保", "insurer_codes": ["PI\u200bCC"]},
        headers=admin_headers,
    )
    assert response.status_code == 422
    assert (await client.get("/v1/partners", headers=admin_headers)).json()["items"] == []
    users = (await client.get("/v1/admin/users", headers=admin_headers)).json()["items"]
    assert [user["username"] for user in users] == ["test-admin"]  # the caller alone


async def test_sign_in_refuses_control_characters_in_the_form_and_basic_credentials(
    client: httpx.AsyncClient, make_partner
) -> None:
    await make_partner("app-lc")
    response = await client.post(
        "/v1/auth/token", data={"grant_type": "password", "username": "adm\x00in", "password": "x"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "username"]
    response = await client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials"},
        auth=("app-lc\x00", "secret"),
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["header", "authorization"]


async def test_an_inbound_event_with_a_nul_is_refused_before_its_signature_is_checked(
    client: httpx.AsyncClient, make_partner
) -> None:
    await make_partner("picc", kind="insurer", insurer_codes=["PICC"])
    for url, body in (
        ("/v1/webhooks/picc%00", b'{"type": "claim.opened"}'),
        ("/v1/webhooks/picc", b'{"type": "claim.opened", "data": {"claim_number": "\\u0000"}}'),
    ):
        response = await client.post(
            url, content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_wrong_slash_is_a_404_problem_that_echoes_no_host(
    client: httpx.AsyncClient, admin_headers
) -> None:
    for path in ("/v1/cases/", "/v1/partners/", "/healthz/", "/v1/stats/"):
        response = await client.get(
            path, headers={**admin_headers, "Host": "evil.example"}, follow_redirects=False
        )
        assert response.status_code == 404, (path, response.status_code)
        assert "location" not in response.headers
        assert response.json()["code"] == "not-found"
        assert "evil.example" not in response.text


def test_every_string_a_client_sends_is_declared_with_the_characters_it_may_hold(
    app: Any,
) -> None:
    """Every string in the document's requests has a pattern (kit.fields.Name and Text
    add theirs), an enum or a format: a new field typed plain ``str`` fails here."""
    document = app.openapi()
    components = document["components"]["schemas"]

    def bare_strings(schema: dict[str, Any], where: str, seen: frozenset[str]) -> list[str]:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            return [] if name in seen else bare_strings(components[name], where, seen | {name})
        found = []
        if schema.get("type") == "string" and not {"pattern", "enum", "const", "format"} & set(
            schema
        ):
            found.append(where)
        for key in ("anyOf", "oneOf", "allOf"):
            for part in schema.get(key, []):
                found += bare_strings(part, where, seen)
        for name, part in schema.get("properties", {}).items():
            found += bare_strings(part, f"{where}.{name}", seen)
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                found += bare_strings(schema[key], f"{where}[]", seen)
        return found

    bare = []
    for method, path, operation in operations(app):
        for parameter in operation.get("parameters", []):
            where = f"{method} {path} {parameter['in']} {parameter['name']}"
            bare += bare_strings(parameter["schema"], where, frozenset())
        for media in operation.get("requestBody", {}).get("content", {}).values():
            bare += bare_strings(media.get("schema", {}), f"{method} {path} body", frozenset())
    assert not bare

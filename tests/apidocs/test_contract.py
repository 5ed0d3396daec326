"""The OpenAPI document as a client generator reads it: names, tags, request bodies."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from accident_online.apidocs.openapi import OFFICERS_TAG
from accident_online.kit.fields import INSURER_CODE_PATTERN

DOCUMENT_URI = "urn:accident-online:openapi"
CAMEL_CASE = re.compile(r"^[a-z]+(?:[A-Z0-9][a-z0-9]*)*$")


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for section in ("paths", "webhooks"):
        for path, item in document.get(section, {}).items():
            for method, operation in item.items():
                found.append((f"{method.upper()} {path}", operation))
    return found


async def test_every_operation_has_a_unique_camel_case_id(client) -> None:
    document = (await client.get("/openapi.json")).json()
    ids = [operation["operationId"] for _, operation in operations(document)]

    assert [i for i in ids if not CAMEL_CASE.match(i)] == []
    assert len(ids) == len(set(ids))
    assert {"fileReport", "uploadEvidence", "getCase", "issueToken"} <= set(ids)


async def test_every_tag_is_declared_with_a_description_officers_first(client) -> None:
    document = (await client.get("/openapi.json")).json()
    declared = {tag["name"]: tag.get("description", "") for tag in document["tags"]}
    used = {tag for _, operation in operations(document) for tag in operation.get("tags", [])}

    assert document["tags"][0]["name"] == OFFICERS_TAG
    assert used - set(declared) == set()
    assert [name for name, description in declared.items() if not description] == []
    assert set(declared) - used == set(), "a declared tag no operation uses"


async def test_request_bodies_have_names_and_the_grant_type_its_values(client) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    token = document["paths"]["/v1/auth/token"]["post"]["requestBody"]
    upload = document["paths"]["/v1/cases/{case_id}/evidence"]["post"]["requestBody"]

    assert token["content"]["application/x-www-form-urlencoded"]["schema"] == {
        "$ref": "#/components/schemas/TokenRequest"
    }
    assert upload["content"]["multipart/form-data"]["schema"] == {
        "$ref": "#/components/schemas/EvidenceUpload"
    }
    assert schemas["TokenRequest"]["properties"]["grant_type"]["enum"] == [
        "password",
        "client_credentials",
    ]
    assert [name for name in schemas if name.startswith("Body_")] == []


async def test_every_evidence_kind_field_is_the_evidence_kind(client) -> None:
    document = (await client.get("/openapi.json")).json()
    kind = {"$ref": "#/components/schemas/EvidenceKind"}
    untyped = []

    def visit(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, value in node.get("properties", {}).items():
                if name in ("kind", "missing") and "Partner" not in where:
                    declared = value.get("items", value)
                    if declared.get("$ref") != kind["$ref"]:
                        untyped.append(f"{where}.{name}")
            for key, value in node.items():
                visit(value, f"{where}/{key}")
        elif isinstance(node, list):
            for value in node:
                visit(value, where)

    visit(document, "")
    assert untyped == []


async def test_inbound_events_are_named_and_told_apart_by_type(client) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    operation = document["paths"]["/v1/webhooks/{partner_id}"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    union = schemas["InboundEvent"]

    assert body == {"$ref": "#/components/schemas/InboundEvent"}
    assert union["discriminator"]["propertyName"] == "type"
    assert set(union["discriminator"]["mapping"]) == {
        "claim.opened",
        "claim.assessed",
        "claim.paid",
        "mediation.agreed",
        "mediation.failed",
        "lawsuit.filed",
        "judgment.issued",
        # Compensation disputes (CONTRACT.md "Additions of 2026-12-01").
        "prefiling_mediation.started",
        "prefiling_mediation.agreed",
        "prefiling_mediation.failed",
        "confirmation.granted",
        "confirmation.refused",
        "judgment.appealed",
        "enforcement.requested",
        "appraisal.accepted",
        "appraisal.completed",
        "appraisal.declined",
        "arbitration.accepted",
        "arbitration.awarded",
        "arbitration.rejected",
    }
    for event_type, ref in union["discriminator"]["mapping"].items():
        assert schemas[ref.rsplit("/", 1)[-1]]["properties"]["type"]["const"] == event_type
    required = {p["name"] for p in operation["parameters"] if p["in"] == "header" and p["required"]}
    assert required == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert operation["security"] == []


async def test_response_headers_are_declared_where_the_server_sets_them(client) -> None:
    document = (await client.get("/openapi.json")).json()
    missing = []
    for name, operation in operations(document):
        if "paths" not in name and name.split()[1].startswith("case."):
            continue  # outbound webhooks: partners answer them
        for status, response in operation["responses"].items():
            headers = response.get("headers", {})
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if status.startswith("2") and schema.get("$ref", "").endswith("/CaseRead"):
                missing += [f"{name} {status} ETag"] if "ETag" not in headers else []
            if status in ("429", "503") and "Retry-After" not in headers:
                missing.append(f"{name} {status} Retry-After")
    report = document["paths"]["/v1/reports"]["post"]["responses"]["201"]["headers"]

    assert missing == []
    assert {"Location", "ETag", "Idempotent-Replayed"} <= set(report)
    assert "Location" in document["paths"]["/v1/partners"]["post"]["responses"]["201"]["headers"]


async def test_every_201_declares_where_the_new_resource_is_read(client) -> None:
    document = (await client.get("/openapi.json")).json()
    location = document["components"]["headers"]["Location"]
    created = {
        name: response.get("headers", {}).get("Location", {})
        for name, operation in operations(document)
        for status, response in operation["responses"].items()
        if status == "201"
    }

    assert location["required"] is True
    assert "POST /v1/admin/users" in created
    assert {name for name, header in created.items() if not header} == set()
    assert {header["$ref"] for header in created.values()} == {"#/components/headers/Location"}


async def test_every_insurer_code_a_request_carries_declares_the_one_pattern(client) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    requested: set[str] = set()
    todo = [
        media["schema"]
        for name, operation in operations(document)
        if " /" in name  # the service's own operations, not the webhooks partners receive
        for media in operation.get("requestBody", {}).get("content", {}).values()
    ]
    while todo:
        node = todo.pop()
        text = json.dumps(node)
        for name in re.findall(r'"#/components/schemas/([^"]+)"', text):
            if name not in requested:
                requested.add(name)
                todo.append(schemas[name])
    found = {}
    for name in requested:
        for field, declared in schemas[name].get("properties", {}).items():
            if field in ("insurer", "commercial_insurer", "insurer_codes"):
                strings = declared.get("anyOf", [declared.get("items", declared)])
                found[f"{name}.{field}"] = {s.get("pattern") for s in strings} - {None}

    assert set(found) >= {
        "PartyCreate.insurer",
        "CompulsoryPolicy.insurer",
        "CommercialPolicy.insurer",
        "PartyCorrection.insurer",
        "VehicleIn.insurer",
        "VehicleIn.commercial_insurer",
        "PartnerCreate.insurer_codes",
    }
    assert found == {field: {INSURER_CODE_PATTERN} for field in found}


async def test_a_replayed_report_carries_the_headers_the_document_names(
    client, app_headers, report_body
) -> None:
    headers = {**app_headers, "Idempotency-Key": "contract-headers-1"}
    body = report_body()
    first = await client.post("/v1/reports", json=body, headers=headers)
    again = await client.post("/v1/reports", json=body, headers=headers)

    assert first.status_code == again.status_code == 201, first.text
    assert first.headers["Location"] == f"/v1/cases/{first.json()['id']}"
    assert first.headers["ETag"] == f'"{first.json()["version"]}"'
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == first.headers["ETag"]


async def test_public_operations_say_so_and_the_document_names_its_server(client) -> None:
    document = (await client.get("/openapi.json")).json()
    public = {
        operation["operationId"]
        for _, operation in operations(document)
        if operation.get("security") == []
    }

    assert {"issueToken", "getHealth", "getReadiness", "viewEvidenceLink"} <= public
    assert "receivePartnerEvent" in public
    assert "getCase" not in public
    assert all("security" in operation for _, operation in operations(document))
    assert document["servers"] == [
        {"url": "/", "description": "The server this document came from"}
    ]
    assert document["info"]["license"]["name"]
    assert document["info"]["contact"]["url"]


async def test_the_public_url_setting_becomes_the_server(settings, database) -> None:
    from accident_online.app import create_app

    app = create_app(
        settings.model_copy(update={"public_url": "https://accident.example.cn"}), database=database
    )

    assert app.openapi()["servers"] == [
        {"url": "https://accident.example.cn", "description": "accident-online"}
    ]


def examples_in(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every example the document gives."""
    for section in ("paths", "webhooks"):
        for path, item in document.get(section, {}).items():
            for method, operation in item.items():
                where = f"{method.upper()} {path}"
                for parameter in operation.get("parameters", []):
                    if "example" in parameter:
                        yield (
                            f"{where} {parameter['name']}",
                            parameter["schema"],
                            parameter["example"],
                        )
                bodies = [("request", operation.get("requestBody", {}))]
                bodies += list(operation.get("responses", {}).items())
                for status, body in bodies:
                    for media_type, media in body.get("content", {}).items():
                        if "schema" not in media:
                            continue
                        if "example" in media:
                            yield (
                                f"{where} {status} {media_type}",
                                media["schema"],
                                media["example"],
                            )
                        for name, example in media.get("examples", {}).items():
                            yield f"{where} {status} {name}", media["schema"], example["value"]
    for name, component in document["components"]["schemas"].items():
        for example in component.get("examples", []):
            yield f"schema {name}", {"$ref": f"#/components/schemas/{name}"}, example
        for field, declared in component.get("properties", {}).items():
            for example in declared.get("examples", []) if isinstance(declared, dict) else []:
                yield f"schema {name}.{field}", declared, example


async def test_every_example_in_the_document_is_valid_against_its_schema(client) -> None:
    document = (await client.get("/openapi.json")).json()
    registry: Registry = Registry().with_resource(
        DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    invalid = []
    count = 0
    for where, schema, example in examples_in(document):
        count += 1
        rooted = json.loads(json.dumps(schema).replace('"#/', f'"{DOCUMENT_URI}#/'))
        validator = Draft202012Validator(
            rooted, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        invalid += [f"{where}: {error.message}" for error in validator.iter_errors(example)]

    assert invalid == [], "\n".join(invalid)
    assert count > 200  # the walk reaches the examples


async def test_a_problem_response_names_its_codes_and_not_eligible_its_reasons(client) -> None:
    document = (await client.get("/openapi.json")).json()
    responses = document["paths"]["/v1/reports"]["post"]["responses"]
    schema = responses["422"]["content"]["application/problem+json"]["schema"]
    not_eligible = document["components"]["schemas"]["NotEligibleProblem"]
    missing_default = [
        where
        for where, operation in operations(document)
        if where.split()[1].startswith("/") and "default" not in operation["responses"]
    ]

    assert schema["oneOf"][0] == {"$ref": "#/components/schemas/NotEligibleProblem"}
    assert sorted(schema["oneOf"][1]["properties"]["code"]["enum"]) == [
        "idempotency-key-reused",
        "validation-error",
    ]
    token = document["paths"]["/v1/centers"]["get"]["responses"]["401"]
    assert token["content"]["application/problem+json"]["schema"]["properties"]["code"]["enum"] == [
        "unauthorized",
        "invalid-token",
        "token-revoked",
    ]
    assert "injuries" in not_eligible["properties"]["reasons"]["items"]["enum"]
    assert missing_default == []


async def test_a_real_not_eligible_answer_is_a_not_eligible_problem(
    client, file_report, report_body
) -> None:
    document = (await client.get("/openapi.json")).json()
    refused = await file_report(report_body(injuries=True))
    validator = Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#/components/schemas/NotEligibleProblem"},
        registry=Registry().with_resource(
            DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012)
        ),
    )

    assert refused.status_code == 422
    assert [e.message for e in validator.iter_errors(refused.json())] == []


def untyped(node: Any, where: str = "") -> Iterator[str]:
    """Where a schema is an object of unknown shape (openapi-typescript's
    `{[key: string]: unknown}`, a dict of anything in Python) or no schema at all."""
    if isinstance(node, dict):
        combined = {"$ref", "oneOf", "anyOf", "allOf", "const", "enum", "type"} & set(node)
        if where.endswith("/schema") and not combined:
            yield f"{where}: {{}}"
        if (node.get("type") == "object" or node.get("additionalProperties") is True) and not (
            "properties" in node or isinstance(node.get("additionalProperties"), dict)
        ):
            yield where
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for name, declared in value.items():
                    if declared == {}:
                        yield f"{where}/properties/{name}: {{}}"
                    yield from untyped(declared, f"{where}/properties/{name}")
            elif key not in ("examples", "example"):
                yield from untyped(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from untyped(value, f"{where}[{index}]")


async def test_every_schema_a_client_reads_has_its_shape(client) -> None:
    document = (await client.get("/openapi.json")).json()
    found = list(untyped({"paths": document["paths"], "webhooks": document["webhooks"]}))
    found += list(untyped(document["components"]["schemas"], "#/components/schemas"))

    assert found == []
    # The check sees them: a free-form object and a missing schema.
    assert list(untyped({"a": {"type": "object"}, "b": {"schema": {}}})) == ["/a", "/b/schema: {}"]

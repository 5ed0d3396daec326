"""Responses as the server sends them, in the OpenAPI document: headers, public
operations, problem codes per status, and the examples FastAPI would drop."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

HEADERS: dict[str, Any] = {
    "ETag": {
        "description": '案件版本，修改时作为 If-Match 发送 · The case\'s version, `"<version>"`: '
        "send it as If-Match with your next change.",
        "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
        "example": '"7"',
    },
    "Location": {
        "description": "Where the new resource is read.",
        "required": True,
        "schema": {"type": "string", "format": "uri-reference"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the "
        "same Idempotency-Key and body: nothing was done again.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "example": "30",
    },
}
CASE_SCHEMA_REF = "#/components/schemas/CaseRead"


def declare_headers(schema: dict[str, Any]) -> None:
    """The response headers the server sets, wherever it sets them: `ETag` with every
    case, `Idempotent-Replayed` where an Idempotency-Key is taken, `Retry-After` with 429
    and 503 (kit.limits, auth.lockout, kit.problems.ServiceUnavailable)."""
    schema.setdefault("components", {})["headers"] = HEADERS

    def header(name: str) -> dict[str, str]:
        return {"$ref": f"#/components/headers/{name}"}

    for item in schema.get("paths", {}).values():
        for operation in item.values():
            keyed = any(
                p.get("in") == "header" and p.get("name") == "Idempotency-Key"
                for p in operation.get("parameters", [])
            )
            for status, response in operation.get("responses", {}).items():
                headers = response.setdefault("headers", {})
                content = response.get("content", {}).get("application/json", {})
                if status.startswith("2") and content.get("schema", {}).get("$ref") == (
                    CASE_SCHEMA_REF
                ):
                    headers["ETag"] = header("ETag")
                if status.startswith("2") and keyed:
                    headers["Idempotent-Replayed"] = header("Idempotent-Replayed")
                if status == "201" and "Location" in headers:
                    headers["Location"] = {**header("Location"), **_described(headers["Location"])}
                if status in ("429", "503"):
                    headers["Retry-After"] = header("Retry-After")
                if not headers:
                    del response["headers"]


def _described(declared: dict[str, Any]) -> dict[str, Any]:
    return {"description": declared["description"]} if "description" in declared else {}


def declare_public_operations(schema: dict[str, Any]) -> None:
    """`security: []` where no token is asked for, so that a generator (and a reader) does
    not take the document-wide OAuth2 scheme to apply there."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            operation.setdefault("security", [])


PROBLEM_REF = "#/components/schemas/Problem"
NOT_ELIGIBLE_CODE = "not-eligible"


def type_problems(
    schema: dict[str, Any],
    *,
    media_type: str,
    reasons: Sequence[str],
    not_eligible_detail: str,
    internal: dict[str, Any],
    everywhere: Mapping[str, Mapping[str, Any]],
    with_token: Mapping[str, Mapping[str, Any]],
) -> None:
    """Each error response's schema names the codes it may carry (its examples' codes, one
    example each), `not-eligible` is a `NotEligibleProblem` with its `reasons`, and every
    operation has a `default`: the 500 problem anything unexpected becomes.

    ``everywhere`` and ``with_token`` (status → examples by code) are the problems every
    operation, and every operation that takes a bearer token, may answer with besides
    its own: a control character in a header (kit.inputs), a bad or revoked token."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["NotEligibleProblem"] = {
        "title": "NotEligibleProblem",
        "description": "The accident may not be handled online: the driver calls 122.",
        "allOf": [{"$ref": PROBLEM_REF}],
        "properties": {
            "code": {"const": NOT_ELIGIBLE_CODE},
            "reasons": {
                "type": "array",
                "items": {"type": "string", "enum": list(reasons)},
                "minItems": 1,
                "description": "Every failed rule's code, in the rule table's order.",
            },
        },
        "required": ["reasons"],
    }
    for path, item in schema.get("paths", {}).items():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            shared = [everywhere, with_token] if operation.get("security") else [everywhere]
            for common in shared:
                for status, examples in common.items():
                    response = responses.setdefault(status, {"description": ""})
                    media = response.setdefault("content", {}).setdefault(
                        media_type, {"schema": {"$ref": PROBLEM_REF}}
                    )
                    media["examples"] = {
                        **{
                            code: {**example, "value": {**example["value"], "instance": path}}
                            for code, example in examples.items()
                        },
                        **media.get("examples", {}),
                    }
                    if "`" in response["description"] or not response["description"]:
                        # problem_responses' form: every code with its title.
                        response["description"] = "; ".join(
                            f"`{code}`: {example['value']['title']}"
                            for code, example in media["examples"].items()
                        )
            for status, response in responses.items():
                media = response.get("content", {}).get(media_type)
                if not status.isdigit() or media is None or "examples" not in media:
                    continue
                codes = list(media["examples"])
                others = [code for code in codes if code != NOT_ELIGIBLE_CODE]
                coded = {"allOf": [{"$ref": PROBLEM_REF}], "properties": {"code": {"enum": others}}}
                if NOT_ELIGIBLE_CODE in codes:
                    # As intake.service answers it: the advice and the rules, no field errors.
                    example = media["examples"][NOT_ELIGIBLE_CODE]["value"]
                    example.pop("errors", None)
                    example.update(detail=not_eligible_detail, reasons=list(reasons[:1]))
                    not_eligible = {"$ref": "#/components/schemas/NotEligibleProblem"}
                    media["schema"] = {"oneOf": [not_eligible, coded]} if others else not_eligible
                else:
                    media["schema"] = coded
            responses.setdefault(
                "default",
                {
                    "description": "Unexpected error: a 500 problem whose `request_id` is in "
                    "our logs too.",
                    "content": {
                        media_type: {
                            "schema": {"$ref": PROBLEM_REF},
                            "examples": {"internal-error": internal},
                        }
                    },
                },
            )


def restore_null_examples(schema: dict[str, Any]) -> None:
    """Puts back the nulls FastAPI's get_openapi drops from examples (it encodes the whole
    document with exclude_none): a required, nullable property missing from an example
    was null in the model's example."""
    schemas = schema.get("components", {}).get("schemas", {})

    def resolved(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref", "")
        return resolved(schemas[ref.rsplit("/", 1)[-1]]) if ref.startswith("#/") else node

    def nullable(node: dict[str, Any]) -> bool:
        node = resolved(node)
        return node.get("type") == "null" or any(nullable(a) for a in node.get("anyOf", []))

    def restore(value: Any, node: dict[str, Any]) -> None:
        node = resolved(node)
        for alternative in node.get("anyOf", []) + node.get("allOf", []):
            restore(value, alternative)
        told_apart = node.get("discriminator", {})
        if isinstance(value, dict) and value.get(told_apart.get("propertyName")) in told_apart.get(
            "mapping", {}
        ):
            restore(value, {"$ref": told_apart["mapping"][value[told_apart["propertyName"]]]})
        if isinstance(value, dict) and "properties" in node:
            for name, declared in node["properties"].items():
                if name not in value and name in node.get("required", []) and nullable(declared):
                    value[name] = None
                elif name in value:
                    restore(value[name], declared)
        elif isinstance(value, list) and isinstance(node.get("items"), dict):
            for item in value:
                restore(item, node["items"])

    for component in schemas.values():
        for example in component.get("examples", []):
            restore(example, component)

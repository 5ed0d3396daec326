"""What the OpenAPI document adds for the officers who work in /docs: their operations in
one tag, first, in the order of the work, and `If-Match` marked as the requirement it is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from accident_online.kit.fields import HEADER_PATTERN

OFFICERS_TAG = "远程定责 · Officers"

TAGS: list[dict[str, Any]] = [
    {
        "name": OFFICERS_TAG,
        "description": (
            "远程定责民警的工作，按办案顺序排列：登录（Authorize）→ 查看本中心队列 → 领取案件 → "
            "看照片 → 补充证据、退回队列、转线下处理或作出认定 → 下载认定书。改变案件的操作"
            "（领取除外）必须带 `If-Match`，其值为上次读取案件时的 `ETag`。时间均为北京时间"
            "（+08:00）。\n\n"
            "The remote liability officer's work, in the order it is done: sign in (Authorize), "
            "your center's queue, claim a case, look at the photos, then ask for photos, release, "
            "refer offline or decide, and fetch the document. Every change to a case except the "
            "claim needs `If-Match` with the `ETag` you last read. Times are Beijing time (+08:00)."
        ),
    },
    {
        "name": "auth",
        "description": "Sign-in for people (password grant) and partner systems (client "
        "credentials), and the officers' and admins' accounts.",
    },
    {
        "name": "reports",
        "description": "The app backend files a driver's report (`Idempotency-Key` required), "
        "checks eligibility first and passes on the parties' answers to the decision.",
    },
    {
        "name": "cases",
        "description": "The shared case record, masked per role (`ETag` = its version), and "
        "its append-only timeline.",
    },
    {
        "name": "evidence",
        "description": "The accident photos: upload (app), download, contact sheet, signed "
        "links that open without a token.",
    },
    {
        "name": "centers",
        "description": "The nine remote liability centers: availability, capacity, queues.",
    },
    {
        "name": "settlement",
        "description": "Who pays what: a stateless calculation and each case's settlement.",
    },
    {
        "name": "statistics",
        "description": "Reports, share handled online, time to decision, queue depth.",
    },
    {
        "name": "partners",
        "description": "Partner systems (app, insurers, mediation, court …), their "
        "credentials and webhook endpoints (admin).",
    },
    {
        "name": "deliveries",
        "description": "The outbound webhooks sent to partners, each attempt, and replay.",
    },
    {
        "name": "partner events",
        "description": "Signed events partners send in: claims, mediation, court.",
    },
    {
        "name": "operations",
        "description": "Liveness, readiness and metrics, for the platform; no token.",
    },
]

# (method, path) in the order an officer works; operations not (yet) served are skipped.
OFFICER_WORK: list[tuple[str, str]] = [
    ("post", "/v1/auth/token"),
    ("get", "/v1/centers/{center_id}/queue"),
    ("post", "/v1/centers/{center_id}/queue/next"),
    ("post", "/v1/cases/{case_id}/claim"),
    ("get", "/v1/cases/{case_id}"),
    ("get", "/v1/cases/{case_id}/evidence/sheet"),
    ("get", "/v1/cases/{case_id}/evidence/{evidence_id}/content"),
    ("post", "/v1/cases/{case_id}/evidence-requests"),
    ("post", "/v1/cases/{case_id}/release"),
    ("post", "/v1/cases/{case_id}/referral"),
    ("post", "/v1/cases/{case_id}/decision"),
    ("get", "/v1/cases/{case_id}/decision/document"),
]


def refine_for_officers(schema: dict[str, Any]) -> None:
    """Orders the officers' operations and declares `If-Match` required, in place."""
    paths: dict[str, Any] = schema.get("paths", {})
    first = [path for _, path in OFFICER_WORK if path in paths]
    ordered = {path: paths[path] for path in dict.fromkeys(first)}
    ordered.update((path, item) for path, item in paths.items() if path not in ordered)
    schema["paths"] = ordered
    for item in ordered.values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "header" and parameter.get("name") == "If-Match":
                    # cases.dependencies.IfMatch answers its absence with 428, not 422, so
                    # FastAPI sees it as optional; to a client it is required.
                    parameter["required"] = True
                    parameter["schema"] = {
                        "type": "string",
                        "title": "If-Match",
                        # kit.inputs refuses control characters in every header.
                        "pattern": HEADER_PATTERN,
                    }


WEBHOOKS_TAG = "Outbound webhooks"

VERIFICATION_EXAMPLE = '''\
import base64, hashlib, hmac, time

def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """True when the body was sent by accident-online and is fresh."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    fresh = abs(time.time() - int(timestamp)) <= 300
    return fresh and any(
        hmac.compare_digest(expected, signature.removeprefix("v1,"))
        for signature in headers["webhook-signature"].split()
    )
'''

SIGNATURE_TEXT = f"""\
Standard Webhooks v1. The service POSTs the JSON body to your `webhook_url`, signed with your
webhook secret: `whsec_` followed by the base64 of the key bytes (shown once, when the partner is
registered or the secret rotated). The signed string is exactly

    {{webhook-id}}.{{webhook-timestamp}}.{{body}}

(the header values and the raw body bytes, joined by dots); `webhook-signature` holds
`v1,<base64 of its HMAC-SHA256>`, and during a rotation two of them, space-separated: accept
the message if any one matches. Refuse a `webhook-timestamp` more than 5 minutes off.

```python
{VERIFICATION_EXAMPLE}```

(`standardwebhooks.Webhook(secret).verify(body, headers)` does the same.)

Delivery is at least once: the same `webhook-id` on every retry, so deduplicate on it, and
order a case's events by `data.case_version`. Any 2xx is received; anything else, or no answer
in time, is retried with backoff (about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h …) until the delivery
is dead; 410 Gone disables your endpoint. Ignore fields you do not know."""

WEBHOOK_HEADERS: list[dict[str, Any]] = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "description": "The message id, the same on every retry: deduplicate on it.",
        "schema": {"type": "string", "pattern": "^msg_[0-9a-f]{32}$"},
        "example": "msg_6f1c2b0e4d8a4c3e9b7a5d1f2e3c4b5a",
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "description": "Unix seconds when this attempt was signed.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "example": "1764296100",
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "description": "`v1,<base64 HMAC-SHA256>` of `{webhook-id}.{webhook-timestamp}.{body}`; "
        "two, space-separated, while a secret rotation runs.",
        "schema": {"type": "string", "pattern": "^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$"},
        "example": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
    },
]


def camel_case(name: str) -> str:
    """`case.evidence_requested` → `caseEvidenceRequested`."""
    words = [word for word in name.replace(".", "_").split("_") if word]
    return words[0].lower() + "".join(word[:1].upper() + word[1:] for word in words[1:])


def add_component(schemas: dict[str, Any], model: type[BaseModel]) -> dict[str, str]:
    """Puts a model and the models it uses into components; returns a reference to it."""
    definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, nested in definition.pop("$defs", {}).items():
        schemas.setdefault(name, nested)
    schemas.setdefault(model.__name__, definition)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def add_outbound_webhooks(
    schema: dict[str, Any],
    events: Mapping[str, type[BaseModel]],
    receivers: Mapping[str, str],
    *,
    mark: str,
) -> None:
    """The `webhooks` section: one entry per event type the service sends, and
    `OutboundEvent`, the union of their bodies, referenced where a property's schema
    carries ``mark`` (`DeliveryDetail.payload`)."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    mapping = add_union(
        schemas,
        "OutboundEvent",
        list(events.values()),
        "The body of any outbound webhook, told apart by `type`.",
    )
    webhooks: dict[str, Any] = {}
    for event_type, model in events.items():
        webhooks[event_type] = {
            "post": {
                "operationId": camel_case(event_type),
                "tags": [WEBHOOKS_TAG],
                "summary": (model.__doc__ or event_type).strip(),
                "description": f"Sent to {receivers[event_type]}.\n\n{SIGNATURE_TEXT}",
                "security": [],
                "parameters": WEBHOOK_HEADERS,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": mapping[event_type]}}},
                },
                "responses": {
                    "200": {"description": "Any 2xx: received, not sent again."},
                    "410": {"description": "Gone: the service disables your endpoint."},
                },
            }
        }
    for component in schemas.values():
        for name, declared in component.get("properties", {}).items():
            if declared.get(mark):
                component["properties"][name] = {
                    "$ref": "#/components/schemas/OutboundEvent",
                    "description": declared.get("description", ""),
                }
    schema["webhooks"] = webhooks
    tags = schema.setdefault("tags", [])
    if not any(tag["name"] == WEBHOOKS_TAG for tag in tags):
        tags.append({"name": WEBHOOKS_TAG, "description": SIGNATURE_TEXT})


# operationId → the name its request body takes in components (FastAPI names a form
# `Body_<operationId>`; a hand-written multipart form has none).
REQUEST_BODY_NAMES: dict[str, str] = {
    "issueToken": "TokenRequest",
    "uploadEvidence": "EvidenceUpload",
}
GRANT_TYPES = ["password", "client_credentials"]


def name_request_bodies(
    schema: dict[str, Any], names: Mapping[str, str] = REQUEST_BODY_NAMES
) -> None:
    """Moves each named operation's request body schema into components under its name."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            name = names.get(operation.get("operationId", ""))
            if name is None:
                continue
            for media in operation.get("requestBody", {}).get("content", {}).values():
                body = media["schema"]
                ref = body.get("$ref", "")
                if ref.startswith("#/components/schemas/"):
                    body = schemas.pop(ref.rsplit("/", 1)[-1])
                schemas[name] = {**body, "title": name}
                media["schema"] = {"$ref": f"#/components/schemas/{name}"}
            operation["requestBody"]["required"] = True
    token = schemas.get("TokenRequest")
    if token is not None:
        # auth.router reads grant_type as free text so that a missing or unknown one is
        # RFC 6749's error (400 problem), not a 422; to a client it is one of two values.
        described = token["properties"]["grant_type"].get("description", "")
        token["properties"]["grant_type"] = {
            "type": "string",
            "enum": GRANT_TYPES,
            "description": described,
        }
        token["required"] = ["grant_type"]


def add_union(
    schemas: dict[str, Any], name: str, models: Sequence[type[BaseModel]], description: str
) -> dict[str, str]:
    """A named `oneOf` of models told apart by their `type` constant, with its mapping."""
    mapping = {}
    for model in models:
        ref = add_component(schemas, model)
        mapping[schemas[model.__name__]["properties"]["type"]["const"]] = ref["$ref"]
    schemas[name] = {
        "title": name,
        "description": description,
        "oneOf": [{"$ref": ref} for ref in mapping.values()],
        "discriminator": {"propertyName": "type", "mapping": mapping},
    }
    return mapping


def add_inbound_events(
    schema: dict[str, Any], models: Sequence[type[BaseModel]], *, operation_id: str
) -> None:
    """`InboundEvent`, the events partners send, and the receiving operation's headers
    marked required: its router reads them itself so that a missing one is a 401 like any
    bad signature, which makes them optional to FastAPI."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    add_union(schemas, "InboundEvent", models, "An event a partner sends, told apart by `type`.")
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if operation.get("operationId") != operation_id:
                continue
            operation["security"] = []  # signed with the webhook secret, no bearer token
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header" and parameter["name"].startswith("webhook-"):
                    parameter["required"] = True
                    declared = dict(parameter["schema"])
                    alternatives = declared.pop("anyOf", [{}])  # [string, null]
                    parameter["schema"] = {**alternatives[0], **declared, "type": "string"}


HEADERS: dict[str, Any] = {
    "ETag": {
        "description": '案件版本，修改时作为 If-Match 发送 · The case\'s version, `"<version>"`: '
        "send it as If-Match with your next change.",
        "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
        "example": '"7"',
    },
    "Location": {
        "description": "Where the new resource is read.",
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

"""The partner contract in the OpenAPI document: outbound webhooks with their typed
bodies and signature, named request bodies, inbound events told apart by `type`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

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
